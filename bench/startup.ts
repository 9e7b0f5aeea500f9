/**
 * Start-up benchmark, embedded mode: ms from process spawn to GET /health/ready = 200, and the
 * resident memory once idle. Runs the real start command (the Moleculer runner) several times:
 * the first run on an empty DATA_DIR (migrations run), the others on the same one.
 *
 * Measures both ways of running the TypeScript: the compiled `dist/` that `npm start` runs, and
 * Node's own type stripping of the sources (what the tests use).
 *
 *   npm run bench:startup [-- --runs 5]
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/topology.ts";
import { numberOption } from "./lib/options.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET_READY_MS = 2_000;
const BUDGET_IDLE_RSS_MB = 128;
const IDLE_WAIT_MS = 5_000;
const RUNS = numberOption("runs", 3);

function rssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
	const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
	return kb / 1024;
}

interface StartVariant {
	name: string;
	cwd: string;
	config: string;
	mask: string;
}

const VARIANTS: StartVariant[] = [
	{ name: "compiled dist/ (npm start)", cwd: ROOT, config: "dist/moleculer.config.js", mask: "**/*.service.js" },
	{ name: "type stripping of sources", cwd: ROOT, config: "moleculer.config.ts", mask: "**/*.service.ts" },
];

async function once(variant: StartVariant, dataDir: string): Promise<{ readyMs: number; idleRssMb: number }> {
	const port = await freePort();
	const started = performance.now();
	// The same flags and environment as `npm start` (package.json), for the default 512 MB budget.
	const child = spawn(
		process.execPath,
		["--max-old-space-size=192", "--max-semi-space-size=8", "node_modules/moleculer/bin/moleculer-runner.mjs", "--config", variant.config, "--mask", variant.mask],
		{ cwd: variant.cwd, env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "131072", SERVICEDIR: path.join(path.dirname(variant.config), "services"), DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", NODE_ENV: "production" }, stdio: "ignore" }
	);
	try {
		let readyMs = -1;
		while (performance.now() - started < 30_000) {
			try {
				const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
				await res.arrayBuffer();
				if (res.status === 200) {
					readyMs = performance.now() - started;
					break;
				}
			} catch {
				// not listening yet
			}
			await new Promise(r => setTimeout(r, 10));
		}
		if (readyMs < 0) throw new Error("not ready within 30 s");
		await new Promise(r => setTimeout(r, IDLE_WAIT_MS));
		return { readyMs, idleRssMb: rssMb(child.pid!) };
	} finally {
		child.kill("SIGTERM");
		await new Promise(r => child.once("exit", r));
	}
}

const row = (name: string, value: string, budget: string, ok: boolean) =>
	console.log(`  ${name.padEnd(34)} ${value.padStart(10)}   budget ${budget.padEnd(9)} ${ok ? "ok" : "OVER"}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`embedded start-up, ${RUNS} runs each, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})`);
for (const variant of VARIANTS) {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-startup-"));
	const results: { readyMs: number; idleRssMb: number }[] = [];
	for (let i = 0; i < RUNS; i++) results.push(await once(variant, dataDir));
	fs.rmSync(dataDir, { recursive: true, force: true });
	const first = results[0];
	const warm = results.slice(1);
	const warmReady = warm.length ? median(warm.map(r => r.readyMs)) : first.readyMs;
	const idle = Math.max(...results.map(r => r.idleRssMb));
	console.log(variant.name);
	row("ready, first start (migrations)", `${first.readyMs.toFixed(0)} ms`, `< ${BUDGET_READY_MS} ms`, first.readyMs < BUDGET_READY_MS);
	row("ready, later starts (median)", `${warmReady.toFixed(0)} ms`, `< ${BUDGET_READY_MS} ms`, warmReady < BUDGET_READY_MS);
	row(`idle RSS after ${IDLE_WAIT_MS / 1000} s (max)`, `${idle.toFixed(1)} MB`, `< ${BUDGET_IDLE_RSS_MB} MB`, idle < BUDGET_IDLE_RSS_MB);
}
