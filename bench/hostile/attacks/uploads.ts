/**
 * Area: the upload lifecycle and progress streams (issue 13 items 3 and 4). Each case reports what
 * the client got and what the platform still holds afterwards: staged files and open descriptors
 * against the count before the attack.
 */
import fs from "node:fs";
import path from "node:path";
import type { HostileAttack } from "../attack.ts";
import { startRawUpload } from "../../../test/helpers/raw-upload.ts";
import { registerUser } from "../../../test/helpers/users.ts";
import { uploadAndExtract, uploadFile } from "../../../test/helpers/documents.ts";
import { sleep } from "../../../test/helpers/child-processes.ts";
import { http } from "../../../test/helpers/http.ts";
import { startFakeOpenAI, fakeProviderEnv, type FakeProvider } from "../../../test/helpers/fake-providers/index.ts";
import { answerAnalyses } from "../../../test/helpers/analyses.ts";

interface Prepared {
	token: string;
	pid: number;
	stagingDir: string;
	descriptors: number;
}

/** The process listening on the platform's port (the runner only passes its URL), through /proc. */
function pidListeningOn(baseUrl: string): number {
	const port = Number(new URL(baseUrl).port);
	const inodes = new Set<string>();
	for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
		for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
			const cols = line.trim().split(/\s+/);
			// local address "0100007F:1F90", state 0A = LISTEN, inode in column 10
			if (cols.length > 9 && parseInt(cols[1].split(":")[1], 16) === port && cols[3] === "0A") inodes.add(cols[9]);
		}
	}
	for (const pid of fs.readdirSync("/proc").filter(name => /^\d+$/.test(name))) {
		try {
			for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
				const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
				if (inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? "")) return Number(pid);
			}
		} catch {
			// another user's process, or gone
		}
	}
	throw new Error(`no process listens on port ${port}`);
}

function stagingDirOf(pid: number): string {
	const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
	const dataDir = environ.find(entry => entry.startsWith("DATA_DIR="))!.slice("DATA_DIR=".length);
	return path.join(dataDir, "blobs", ".staging");
}

const descriptorsOf = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;
const stagedIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0);

async function prepare(baseUrl: string): Promise<Prepared> {
	const token = (await registerUser(baseUrl)).accessToken;
	// One complete upload first, so what opens lazily (blob store, parser thread) is in the baseline.
	await uploadFile(baseUrl, token, { name: "warm.txt", bytes: "warming up the upload path" });
	await sleep(300);
	const pid = pidListeningOn(baseUrl);
	return { token, pid, stagingDir: stagingDirOf(pid), descriptors: descriptorsOf(pid) };
}

/** What is still held a moment after the attack: staged files, and descriptors over the baseline. */
async function leftovers(prepared: Prepared, settleMs = 10_000): Promise<string> {
	const deadline = Date.now() + settleMs;
	while (Date.now() < deadline && (stagedIn(prepared.stagingDir) > 0 || descriptorsOf(prepared.pid) > prepared.descriptors + 2)) await sleep(100);
	return `staged files ${stagedIn(prepared.stagingDir)}, descriptors ${descriptorsOf(prepared.pid) - prepared.descriptors >= 0 ? "+" : ""}${descriptorsOf(prepared.pid) - prepared.descriptors}`;
}

/** Opens a progress stream and keeps it open; answers its status. */
async function openStream(baseUrl: string, token: string, analysisId: string, keep: AbortController[]): Promise<number> {
	const client = new AbortController();
	const res = await fetch(`${baseUrl}/api/v1/analyses/${analysisId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: client.signal });
	if (res.status !== 200) {
		await res.arrayBuffer();
		return res.status;
	}
	await res.body!.getReader().read();
	keep.push(client);
	return 200;
}

/** A user with an analysis that stays running (its provider answers after a minute). */
async function userWithRunningAnalysis(baseUrl: string): Promise<{ token: string; analysisId: string }> {
	const token = (await registerUser(baseUrl)).accessToken;
	const doc = await uploadAndExtract(baseUrl, token, { name: "report.txt", bytes: "The grid team in Oslo installed new cells. Costs fell while reliability improved. ".repeat(20) });
	const created = await http(baseUrl, "POST", `/api/v1/documents/${doc.id}/analyses`, { token, body: { providers: ["openai"], tasks: ["summary"] } });
	return { token, analysisId: created.body.id };
}

/** The fake provider the SSE case's platform calls; started when this file loads, so its URL can be in the case's environment. */
const slowProvider: FakeProvider = await startFakeOpenAI();
answerAnalyses(slowProvider, { summary: "A report." }, { delayMs: 60_000 });

const attacks: HostileAttack[] = [
	{
		name: "500 uploads cut off mid-file (TCP reset)",
		setup: prepare,
		async run(baseUrl, prepared) {
			const p = prepared as Prepared;
			// In rounds of 10, as clients that keep breaking off would: what piled up before was the count.
			for (let round = 0; round < 50; round++) {
				const uploads = await Promise.all(Array.from({ length: 10 }, () => startRawUpload(baseUrl, p.token, { fileBytes: 1024 * 1024, sentBytes: 64 * 1024 })));
				await sleep(100);
				for (const upload of uploads) upload.reset();
			}
			return `connections reset; ${await leftovers(p)}`;
		},
	},
	{
		name: "20 stalled uploads (no byte after 256 KB, idle timeout 30 s)",
		setup: prepare,
		async run(baseUrl, prepared) {
			const p = prepared as Prepared;
			const started = Date.now();
			const uploads = await Promise.all(Array.from({ length: 20 }, () => startRawUpload(baseUrl, p.token, { fileBytes: 1024 * 1024, sentBytes: 256 * 1024 })));
			const answers = await Promise.all(uploads.map(u => u.response));
			const statuses = [...new Set(answers.map(a => `${a?.status ?? "none"} ${a ? (JSON.parse(a.body).error?.type ?? "") : ""}`.trim()))].join(", ");
			return `${statuses} after ${((Date.now() - started) / 1000).toFixed(1)} s; ${await leftovers(p)}`;
		},
	},
	{
		name: "slow upload at 1 KB/s",
		setup: prepare,
		async run(baseUrl, prepared) {
			const p = prepared as Prepared;
			const started = Date.now();
			const upload = await startRawUpload(baseUrl, p.token, { fileBytes: 1024 * 1024, sentBytes: 1024 });
			let answered = false;
			const response = upload.response.finally(() => (answered = true));
			const trickle = setInterval(() => upload.send(1024), 1000);
			// The gateway's call timeout answers (60 s); keep trickling a little after, as an attacker would.
			while (!answered && Date.now() - started < 120_000) await sleep(250);
			await sleep(2_000);
			clearInterval(trickle);
			upload.reset();
			const answer = await response;
			return `${answer?.status ?? "no answer"} after ${((Date.now() - started) / 1000).toFixed(0)} s; ${await leftovers(p)}`;
		},
	},
	{
		name: "150 SSE streams of one user (MEMORY_BUDGET_MB=128), then another user's",
		env: { MEMORY_BUDGET_MB: "128", ...fakeProviderEnv({ openai: slowProvider }) },
		async setup(baseUrl) {
			return { attacker: await userWithRunningAnalysis(baseUrl), victim: await userWithRunningAnalysis(baseUrl) };
		},
		async run(baseUrl, prepared) {
			const { attacker, victim } = prepared as { attacker: { token: string; analysisId: string }; victim: { token: string; analysisId: string } };
			const open: AbortController[] = [];
			const statuses: Record<number, number> = {};
			for (let i = 0; i < 150; i++) {
				const status = await openStream(baseUrl, attacker.token, attacker.analysisId, open);
				statuses[status] = (statuses[status] ?? 0) + 1;
			}
			const victimStatus = await openStream(baseUrl, victim.token, victim.analysisId, open);
			for (const client of open) client.abort();
			const attackerSummary = Object.entries(statuses).map(([status, n]) => `${n}x ${status}`).join(", ");
			return `attacker: ${attackerSummary}; other user: ${victimStatus}`;
		},
	},
];

export default attacks;
