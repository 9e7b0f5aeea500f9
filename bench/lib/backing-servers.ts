/**
 * Private Redis, NATS and PostgreSQL servers for fault tests: each on its own loopback port with
 * its data in a temporary directory, so stopping them never touches the machine's shared servers.
 * Uses the machine's binaries: Debian's redis-server, nats-server, and PostgreSQL's initdb and
 * postgres from /usr/lib/postgresql/<version>/bin (run as the `postgres` user when we are root,
 * since PostgreSQL refuses to run as root).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "../../test/helpers/topology.ts";
import { sleep, startChild, stopChild, type Child } from "./processes.ts";

export interface BackingServer {
	name: string;
	url: string;
	start(): Promise<void>;
	/** SIGTERM by default; PostgreSQL takes SIGINT (fast shutdown: it does not wait for clients to leave). */
	stop(): Promise<void>;
	/** SIGSTOP: the server keeps its connections (the kernel even accepts new ones) but answers nothing: a hang, not an outage. */
	pause(): void;
	/** SIGCONT after pause(). */
	resume(): void;
}

function findBinary(name: string, candidates: string[]): string {
	const found = candidates.find(candidate => fs.existsSync(candidate));
	if (!found) throw new Error(`${name} not found (looked at ${candidates.join(", ")}); install it to run the fault tests`);
	return found;
}

function postgresBinDir(): string {
	const root = "/usr/lib/postgresql";
	const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
	const version = versions.find(v => fs.existsSync(path.join(root, v, "bin/postgres")));
	if (!version) throw new Error(`PostgreSQL binaries not found under ${root}/<version>/bin; install postgresql to run the fault tests`);
	return path.join(root, version, "bin");
}

async function untilListening(port: number, child: Child, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.done) throw new Error(`${child.name} exited during start:\n${child.output.join("").slice(-2000)}`);
		const open = await new Promise<boolean>(resolve => {
			const socket = net.connect({ host: "127.0.0.1", port }, () => {
				socket.destroy();
				resolve(true);
			});
			socket.once("error", () => resolve(false));
		});
		if (open) return;
		await sleep(50);
	}
	throw new Error(`${child.name} did not listen on port ${port} within ${timeoutMs} ms`);
}

function signalGroup(child: Child | undefined, signal: NodeJS.Signals): void {
	if (!child || child.done) throw new Error(`cannot send ${signal}: the server is not running`);
	process.kill(-child.process.pid!, signal);
}

/** A server that is one foreground process; stop() ends its process group, start() runs it again. */
function foregroundServer(name: string, url: string, port: number, command: () => [string, string[]], stopSignal: NodeJS.Signals, ready?: () => Promise<void>): BackingServer {
	let child: Child | undefined;
	return {
		name,
		url,
		async start() {
			const [binary, args] = command();
			child = startChild(name, binary, args);
			await untilListening(port, child);
			await ready?.();
		},
		async stop() {
			if (child) await stopChild(child, stopSignal, 15_000);
		},
		pause: () => signalGroup(child, "SIGSTOP"),
		resume: () => signalGroup(child, "SIGCONT"),
	};
}

export async function privateRedis(): Promise<BackingServer> {
	const binary = findBinary("redis-server", ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]);
	const port = await freePort();
	// No persistence: a restart is an empty cache, as after a Key Value instance is replaced.
	return foregroundServer("redis", `redis://127.0.0.1:${port}`, port, () => [binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]], "SIGTERM");
}

export async function privateNats(): Promise<BackingServer> {
	const binary = findBinary("nats-server", ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]);
	const port = await freePort();
	return foregroundServer("nats", `nats://127.0.0.1:${port}`, port, () => [binary, ["-a", "127.0.0.1", "-p", String(port)]], "SIGTERM");
}

/**
 * A throwaway PostgreSQL cluster in `parentDir` (initdb once), holding one empty database
 * `platform`, which `url` names. Durability settings are off: the tests restart it, never crash the machine.
 */
export async function privatePostgres(parentDir: string): Promise<BackingServer> {
	const bin = postgresBinDir();
	const port = await freePort();
	const dir = fs.mkdtempSync(path.join(parentDir, "postgres-"));
	const dataDir = path.join(dir, "data");
	const asRoot = os.userInfo().uid === 0;
	if (asRoot) {
		const postgresUser = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
		const postgresGroup = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim();
		fs.chownSync(dir, Number(postgresUser), Number(postgresGroup));
		// The postgres user must pass through the (mkdtemp, owner-only) parent; the system temp dir lets everyone through.
		fs.chmodSync(parentDir, 0o711);
	}
	const asPostgres = (binary: string, args: string[]): [string, string[]] => (asRoot ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, args]);
	const [initdb, initArgs] = asPostgres(path.join(bin, "initdb"), ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
	execFileSync(initdb, initArgs, { stdio: "ignore" });
	const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
	const url = `postgres://postgres@127.0.0.1:${port}/platform`;
	const serverArgs = ["-D", dataDir, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];
	let created = false;
	const acceptQueries = async () => {
		for (const deadline = Date.now() + 15_000; ; await sleep(100)) {
			const client = new pg.Client({ connectionString: admin });
			try {
				await client.connect();
				if (!created) await client.query("CREATE DATABASE platform");
				created = true;
				return;
			} catch (err) {
				// "the database system is starting up" until recovery ends
				if (Date.now() > deadline) throw err;
			} finally {
				await client.end().catch(() => {});
			}
		}
	};
	return foregroundServer("postgres", url, port, () => asPostgres(path.join(bin, "postgres"), serverArgs), "SIGINT", acceptQueries);
}
