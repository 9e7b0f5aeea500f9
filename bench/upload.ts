/**
 * Upload benchmark, embedded mode: streams a 25 MB file through POST /api/v1/documents and
 * reports the throughput and how much the platform's resident memory rises while the file streams
 * in (budget: under 40 MB, i.e. the file is never held whole). The platform is a separate process
 * started like `npm start`, so the RSS figures are its own; the client generates the file as it
 * sends it.
 *
 * The memory rise is sampled from the first byte sent until the last; after that the platform
 * commits the upload and starts extracting it (which reads the file into a parser thread, bounded
 * by that thread's heap limit), shown separately.
 *
 *   node bench/upload.ts [--dist] [--runs 3]
 *   (--dist runs the compiled dist/ of `npm run build`, as production does; default: the sources)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/topology.ts";
import { http } from "../test/helpers/http.ts";
import { registerUser } from "../test/helpers/users.ts";
import { uploadMultipart } from "../test/helpers/documents.ts";
import { flag, numberOption } from "./lib/options.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FILE_BYTES = 25 * 1000 * 1000;
const BUDGET_RISE_MB = 40;
const SAMPLE_EVERY_MS = 5;
const dist = flag("dist");
const RUNS = numberOption("runs", 3);

function rssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
	return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function startPlatformProcess(dataDir: string) {
	const port = await freePort();
	const [config, mask, serviceDir] = dist ? ["dist/moleculer.config.js", "**/*.service.js", "dist/services"] : ["moleculer.config.ts", "**/*.service.ts", "services"];
	const child = spawn(process.execPath, ["node_modules/moleculer/bin/moleculer-runner.mjs", "--config", config, "--mask", mask], {
		cwd: ROOT,
		env: { PATH: process.env.PATH, HOME: process.env.HOME, ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}), SERVICEDIR: serviceDir, DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", NODE_ENV: "production" },
		stdio: ["ignore", "ignore", "inherit"],
	});
	const baseUrl = `http://127.0.0.1:${port}`;
	// Ready, and the gateway has its REST routes (401 without a token, not 404).
	const routed = async () => (await fetch(`${baseUrl}/health/ready`)).status === 200 && (await fetch(`${baseUrl}/api/v1/documents`)).status === 401;
	for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise(r => setTimeout(r, 50))) {
		if (await routed().catch(() => false)) return { child, baseUrl };
	}
	child.kill("SIGKILL");
	throw new Error("the platform was not ready within 30 s");
}

/** A text file of `bytes` bytes, generated 64 KB at a time while it is sent. */
async function* textFile(bytes: number, run: number, onDone: () => void): AsyncGenerator<Uint8Array> {
	const line = (n: number) => `run ${run} line ${n}: the quarterly grid report lists substations, panels and storage sites.\n`;
	let sent = 0;
	let n = 0;
	while (sent < bytes) {
		let chunk = "";
		while (chunk.length < 64 * 1024) chunk += line(n++);
		const buffer = Buffer.from(chunk).subarray(0, Math.min(64 * 1024, bytes - sent));
		sent += buffer.length;
		yield buffer;
	}
	onDone();
}

async function upload(baseUrl: string, token: string, pid: number, run: number) {
	let streaming = true;
	let peak = 0;
	const sampler = setInterval(() => {
		if (streaming) peak = Math.max(peak, rssMb(pid));
	}, SAMPLE_EVERY_MS);
	const before = rssMb(pid);
	const started = performance.now();
	const res = await uploadMultipart(baseUrl, token, [{ file: "file", filename: `bench-${run}.txt`, type: "text/plain", content: textFile(FILE_BYTES, run, () => (streaming = false)) }]);
	const seconds = (performance.now() - started) / 1000;
	const afterResponse = rssMb(pid);
	clearInterval(sampler);
	if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${res.text}`);
	return { id: res.body.id as string, mbPerSecond: FILE_BYTES / 1e6 / seconds, riseMb: peak - before, afterResponseMb: afterResponse - before, before };
}

async function untilExtracted(baseUrl: string, token: string, id: string): Promise<void> {
	for (;;) {
		const { body } = await http(baseUrl, "GET", `/api/v1/documents/${id}`, { token });
		if (body.status === "ready" || body.status === "failed") return;
		await new Promise(r => setTimeout(r, 100));
	}
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-upload-"));
const { child, baseUrl } = await startPlatformProcess(dataDir);
try {
	const { accessToken } = await registerUser(baseUrl);
	await new Promise(r => setTimeout(r, 3_000));
	const results = [];
	for (let run = 1; run <= RUNS; run++) {
		const result = await upload(baseUrl, accessToken, child.pid!, run);
		results.push(result);
		// The next run starts from a settled process: this upload's extraction done, its memory back.
		await untilExtracted(baseUrl, accessToken, result.id);
		await new Promise(r => setTimeout(r, 2_000));
	}
	const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
	const maxRise = Math.max(...results.map(r => r.riseMb));
	console.log(`upload of a ${FILE_BYTES / 1e6} MB text file, ${RUNS} runs, embedded mode (${dist ? "compiled dist/" : "sources, type stripping"}), node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})`);
	results.forEach((r, i) =>
		console.log(`  run ${i + 1}: ${r.mbPerSecond.toFixed(1)} MB/s, RSS ${r.before.toFixed(0)} MB before, +${r.riseMb.toFixed(1)} MB while streaming, +${r.afterResponseMb.toFixed(1)} MB at the response (extraction starting)`)
	);
	console.log(`  throughput (median)              ${median(results.map(r => r.mbPerSecond)).toFixed(1).padStart(8)} MB/s`);
	console.log(`  RSS rise while streaming (max)   ${maxRise.toFixed(1).padStart(8)} MB     budget < ${BUDGET_RISE_MB} MB   ${maxRise < BUDGET_RISE_MB ? "ok" : "OVER"}`);
	// The parsing thread exits after 30 s idle (limits.ts); what the process keeps after that.
	await new Promise(r => setTimeout(r, 32_000));
	console.log(`  RSS once the parsing thread has exited: ${rssMb(child.pid!).toFixed(0)} MB (before the first upload: ${results[0].before.toFixed(0)} MB)`);
} finally {
	child.kill("SIGTERM");
	await new Promise(r => child.once("exit", r));
	fs.rmSync(dataDir, { recursive: true, force: true });
}
