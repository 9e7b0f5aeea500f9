import fs from "node:fs";

/** A TCP socket in LISTEN state: its local address as the kernel shows it, and its port. */
export interface ListeningSocket {
	address: string;
	port: number;
}

/** The kernel's hex address (little-endian words) as text: 0100007F -> 127.0.0.1, IPv6 as colon groups. */
function decodeAddress(hex: string): string {
	if (hex.length === 8) return [3, 2, 1, 0].map(i => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
	const groups: string[] = [];
	for (let word = 0; word < 4; word++) {
		const bytes = hex.slice(word * 8, word * 8 + 8).match(/../g)!.reverse().join("");
		groups.push(bytes.slice(0, 4), bytes.slice(4, 8));
	}
	return groups.map(g => g.replace(/^0+(?=.)/, "").toLowerCase()).join(":");
}

/**
 * Every TCP socket this process (the test's own pid) listens on, from /proc/net/tcp{,6} joined with
 * the process's file descriptors: what an outsider could connect to, whoever opened it.
 */
export function listeningSockets(pid: number | "self" = "self"): ListeningSocket[] {
	const inodes = new Set<string>();
	for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
		try {
			const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
			const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
			if (inode) inodes.add(inode);
		} catch {
			// closed between readdir and readlink
		}
	}
	const sockets: ListeningSocket[] = [];
	for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
		if (!fs.existsSync(table)) continue;
		for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
			const fields = line.trim().split(/\s+/);
			// fields: sl local_address rem_address st ... inode (10th)
			if (fields.length < 10 || fields[3] !== "0A" || !inodes.has(fields[9])) continue;
			const [hexAddress, hexPort] = fields[1].split(":");
			sockets.push({ address: decodeAddress(hexAddress), port: parseInt(hexPort, 16) });
		}
	}
	return sockets;
}

/** Sockets listening in `after` that were not in `before`. */
export function newListeners(before: ListeningSocket[], after: ListeningSocket[]): ListeningSocket[] {
	const known = new Set(before.map(s => `${s.address}|${s.port}`));
	return after.filter(s => !known.has(`${s.address}|${s.port}`));
}
