/**
 * Analysis benchmark, embedded mode with the offline `local` analyzer (no keys, no network):
 *   1. throughput: analyses per second for small documents (about 250 words, each its own
 *      document, so nothing comes from stored results), 10 users submitting at once;
 *   2. memory: peak RSS of the platform process while 20 analyses of a 30-page report are in
 *      flight (it runs as many at once as its memory budget allows and queues the rest).
 *
 * The platform is a separate process started like `npm start`, so its RSS is its own. The users
 * sit behind a proxy (TRUST_PROXY, one X-Forwarded-For each), as real clients would, so the
 * per-address API limit applies to each of them, not to the benchmark as a whole. Each user waits
 * for an analysis on its progress stream (SSE), not by polling.
 *
 *   node bench/analyses.ts [--dist] [--documents 200] [--node-options "--max-semi-space-size=8"]
 *   (--dist runs the compiled dist/ of `npm run build`, as production does; default: the sources;
 *   --node-options is passed to the platform process as NODE_OPTIONS, to try V8 memory settings)
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/topology.ts";
import { http } from "../test/helpers/http.ts";
import { registerUser } from "../test/helpers/users.ts";
import { parseEventStream, reportPages } from "../test/helpers/analyses.ts";
import { flag, numberOption, textOption } from "./lib/options.ts";

/** The platform serves /metrics only to this bearer token. */
const METRICS_TOKEN = crypto.randomBytes(24).toString("hex");

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET_PEAK_RSS_MB = 350;
const IN_FLIGHT = 20;
const USERS = 10;
const dist = flag("dist");
const SMALL_DOCUMENTS = numberOption("documents", 200);
const NODE_OPTIONS = textOption("node-options") ?? "";

interface Client {
	token: string;
	headers: Record<string, string>;
}

function memoryMb(pid: number): { rss: number; peak: number } {
	const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
	const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
	return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

async function startPlatformProcess(dataDir: string) {
	const port = await freePort();
	const [config, mask, serviceDir] = dist ? ["dist/moleculer.config.js", "**/*.service.js", "dist/services"] : ["moleculer.config.ts", "**/*.service.ts", "services"];
	const child = spawn(process.execPath, ["node_modules/moleculer/bin/moleculer-runner.mjs", "--config", config, "--mask", mask], {
		cwd: ROOT,
		env: { PATH: process.env.PATH, HOME: process.env.HOME, SERVICEDIR: serviceDir, DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", NODE_ENV: "production", TRUST_PROXY: "true", METRICS_TOKEN, NODE_OPTIONS },
		stdio: ["ignore", "ignore", "inherit"],
	});
	const baseUrl = `http://127.0.0.1:${port}`;
	for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise(r => setTimeout(r, 50))) {
		const ready = await fetch(`${baseUrl}/health/ready`).then(r => r.status === 200, () => false);
		if (ready) {
			// The gateway builds its REST aliases just after the services register.
			await new Promise(r => setTimeout(r, 500));
			return { child, baseUrl };
		}
	}
	child.kill("SIGKILL");
	throw new Error("the platform was not ready within 30 s");
}

async function uploadReady(baseUrl: string, client: Client, name: string, text: string): Promise<string> {
	const form = new FormData();
	form.append("file", new Blob([text], { type: "text/plain" }), name);
	const upload = await http(baseUrl, "POST", "/api/v1/documents", { token: client.token, headers: client.headers, raw: form });
	if (upload.status !== 201) throw new Error(`upload answered ${upload.status}: ${upload.text}`);
	for (;;) {
		const { body } = await http(baseUrl, "GET", `/api/v1/documents/${upload.body.id}`, { token: client.token, headers: client.headers });
		if (body.status === "ready") return upload.body.id;
		if (body.status === "failed") throw new Error(`document ${upload.body.id} failed: ${body.error}`);
		await new Promise(r => setTimeout(r, 100));
	}
}

/** Submits an analysis and follows its progress stream to the end; answers its final status. */
async function analyse(baseUrl: string, client: Client, documentId: string, body: unknown): Promise<string> {
	const created = await http(baseUrl, "POST", `/api/v1/documents/${documentId}/analyses`, { token: client.token, headers: client.headers, body });
	if (created.status !== 202) throw new Error(`POST analyses answered ${created.status}: ${created.text}`);
	const stream = await http(baseUrl, "GET", `/api/v1/analyses/${created.body.id}/events`, { token: client.token, headers: client.headers });
	return parseEventStream(stream.text).find(e => e.event === "done")?.data.status ?? "stream ended early";
}

/** Each client works through its own share of the items, all clients at once. */
async function byClients<T>(clients: Client[], items: T[], work: (client: Client, item: T) => Promise<void>): Promise<void> {
	await Promise.all(clients.map(async (client, c) => {
		for (let i = c; i < items.length; i += clients.length) await work(client, items[i]);
	}));
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-analyses-"));
const { child, baseUrl } = await startPlatformProcess(dataDir);
try {
	console.log(`analyses benchmark, embedded mode, provider local, ${dist ? "compiled dist/" : "type stripping of sources"}${NODE_OPTIONS ? `, NODE_OPTIONS=${NODE_OPTIONS}` : ""}, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})`);
	const atStart = memoryMb(child.pid!).rss;
	const clients: Client[] = [];
	for (let i = 0; i < USERS; i++) clients.push({ token: (await registerUser(baseUrl)).accessToken, headers: { "x-forwarded-for": `10.0.0.${i + 1}` } });

	// 1. Throughput on small documents, each distinct. Uploaded one at a time: uploads are not what is measured
	// (and concurrent uploads on SQLite currently fail in the documents service; see the report).
	const uploads: { client: Client; id: string }[] = [];
	for (let i = 0; i < SMALL_DOCUMENTS; i++) {
		const client = clients[i % USERS];
		const text = `Memo ${i}. ${reportPages(1, 250)[0].replace(/quarter (\d)/g, (_, q) => `quarter ${q} of year ${2000 + i}`)}`;
		uploads.push({ client, id: await uploadReady(baseUrl, client, `memo-${i}.txt`, text) });
	}
	const started = performance.now();
	const statuses: string[] = [];
	await byClients(clients, uploads, async (_, upload) => void statuses.push(await analyse(baseUrl, upload.client, upload.id, { providers: ["local"] })));
	const seconds = (performance.now() - started) / 1000;
	const notSucceeded = statuses.filter(s => s !== "succeeded").length;
	console.log(`  small documents (~250 words), ${USERS} users at once: ${uploads.length} analyses in ${seconds.toFixed(2)} s = ${(uploads.length / seconds).toFixed(1)} analyses/s (${notSucceeded} not succeeded)`);

	// 2. Peak memory with 20 analyses of a long report in flight, two per user.
	const report = reportPages(30).join("\n\n");
	const reportIds: string[] = [];
	for (const client of clients) reportIds.push(await uploadReady(baseUrl, client, "report.txt", report));
	const before = memoryMb(child.pid!);
	let sampledPeak = before.rss;
	const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, memoryMb(child.pid!).rss)), 25);
	const burst = performance.now();
	// Distinct `sentences` values make the two analyses of one user's report different: none comes from the store.
	const outcomes = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) =>
		analyse(baseUrl, clients[i % USERS], reportIds[i % USERS], { providers: ["local"], params: { sentences: 3 + Math.floor(i / USERS) } })
	));
	clearInterval(sampler);
	const after = memoryMb(child.pid!);
	// VmHWM is the process's high-water mark: if it rose during the burst, it is the burst's exact peak.
	const peak = after.peak > before.peak ? after.peak : sampledPeak;
	console.log(`  ${IN_FLIGHT} analyses of a ${report.split(/\s+/).length}-word report in flight: done in ${((performance.now() - burst) / 1000).toFixed(2)} s (${outcomes.filter(s => s !== "succeeded").length} not succeeded)`);
	const metrics = (await http(baseUrl, "GET", "/metrics", { token: METRICS_TOKEN })).text;
	const heapMb = (pattern: RegExp) => (Number(pattern.exec(metrics)?.[1] ?? NaN) / 1048576).toFixed(1);
	console.log(`  RSS: ${atStart.toFixed(1)} MB at start, ${before.rss.toFixed(1)} MB before the burst (after ${USERS} sign-ups, ${uploads.length + USERS} uploads, ${uploads.length} analyses)`);
	console.log(`  peak RSS with ${IN_FLIGHT} analyses in flight: ${peak.toFixed(1)} MB   budget < ${BUDGET_PEAK_RSS_MB} MB ${peak < BUDGET_PEAK_RSS_MB ? "ok" : "OVER"}`);
	console.log(`  V8 heap afterwards: ${heapMb(/^process_memory_heap_stat_used_heap_size\{[^}]*\} (\d+)/m)} MB used, young generation holding ${heapMb(/^process_memory_heap_space_size_physical\{[^}]*space="new_space"\} (\d+)/m)} MB`);
} finally {
	child.kill("SIGTERM");
	await new Promise(r => child.once("exit", r));
	fs.rmSync(dataDir, { recursive: true, force: true });
}
