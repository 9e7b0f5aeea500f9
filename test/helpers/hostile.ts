/**
 * The hostile suites' harness: the whole platform in one child process (embedded mode, started by
 * the Moleculer runner from the sources with the V8 heap limit `npm start` gives it), so that its
 * memory is its own and not mocha's, and a bystander who keeps asking `GET /health/live` while an
 * attack runs, so a test can say what the attack cost everyone else.
 *
 * Latency figures in tests are bounds that only a frozen process breaks (a loaded CI machine is
 * slower than any goal); the strict figures are printed by `npm run bench:hostile`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { rssMb, startChild, stopChild, sleep, type Child } from "./child-processes.ts";
import { freePort } from "./topology.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RUNNER = path.join(ROOT, "node_modules/moleculer/bin/moleculer-runner.mjs");

export interface HostilePlatform {
	baseUrl: string;
	/** The platform's own process id (the node process, not a shell). */
	pid: number;
	dataDir: string;
	child: Child;
	/** Its resident memory now, in MB. */
	rssMb(): number;
	stop(): Promise<void>;
}

/**
 * Starts the embedded platform as `npm start` would (all services, one process, MEMORY_BUDGET_MB
 * 512 unless `env` says otherwise, V8 heap 3/8 of it), from the TypeScript sources; resolves when
 * /health/ready answers 200.
 */
export async function startHostilePlatform(env: Record<string, string> = {}): Promise<HostilePlatform> {
	const port = await freePort();
	const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "hostile-"));
	const budgetMb = Number(env.MEMORY_BUDGET_MB ?? 512);
	const child = startChild("platform", process.execPath, [`--max-old-space-size=${Math.floor((budgetMb * 3) / 8)}`, "--max-semi-space-size=8", RUNNER, "--config", "moleculer.config.ts", "--mask", "**/*.service.ts"], {
		ownProcessGroup: false,
		cwd: ROOT,
		env: {
			PATH: process.env.PATH ?? "/usr/bin:/bin",
			HOME: process.env.HOME ?? os.tmpdir(),
			SERVICEDIR: "services",
			NODE_ID: `hostile-${crypto.randomBytes(2).toString("hex")}`,
			PORT: String(port),
			HOST: "127.0.0.1",
			DATA_DIR: dataDir,
			LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
			NODE_ENV: "production",
			MALLOC_MMAP_THRESHOLD_: "131072",
			MEMORY_BUDGET_MB: String(budgetMb),
			...env,
		},
	});
	const baseUrl = `http://127.0.0.1:${port}`;
	const platform: HostilePlatform = {
		baseUrl,
		pid: child.process.pid!,
		dataDir,
		child,
		rssMb: () => rssMb(child.process.pid!),
		async stop() {
			await stopChild(child, "SIGTERM", 15_000);
			if (env.DATA_DIR === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
		},
	};
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		if (child.done) throw new Error(`the platform exited before it was ready:\n${child.output.join("").slice(-3000)}`);
		try {
			const res = await fetch(`${baseUrl}/health/ready`);
			await res.arrayBuffer();
			if (res.status === 200) return platform;
		} catch {
			// not listening yet
		}
		await sleep(100);
	}
	await platform.stop();
	throw new Error(`the platform was not ready within 30 s:\n${child.output.join("").slice(-3000)}`);
}

export interface BystanderReport {
	/** Requests the bystander made while the attack ran. */
	requests: number;
	/** Its slowest answer (ms); a request still waiting when the attack ended counts as its wait so far. */
	worstMs: number;
	/** 99th percentile of its answers (ms). */
	p99Ms: number;
	/** Answers that were not 200 (or never came). */
	failures: number;
}

/**
 * Runs `attack` while a bystander asks `GET <path>` one request after another (every `gapMs`), and
 * reports what the bystander saw. The attack's own result is returned beside the report.
 */
export async function withBystander<T>(baseUrl: string, attack: () => Promise<T>, options: { path?: string; gapMs?: number; headers?: Record<string, string> } = {}): Promise<{ result: T; bystander: BystanderReport }> {
	const { path: probePath = "/health/live", gapMs = 20, headers } = options;
	const latencies: number[] = [];
	let failures = 0;
	let running = true;
	let inFlightSince = 0;
	const loop = (async () => {
		while (running) {
			inFlightSince = performance.now();
			try {
				const res = await fetch(`${baseUrl}${probePath}`, { headers, signal: AbortSignal.timeout(60_000) });
				await res.arrayBuffer();
				if (res.status !== 200) failures++;
			} catch {
				failures++;
			}
			latencies.push(performance.now() - inFlightSince);
			inFlightSince = 0;
			await sleep(gapMs);
		}
	})();
	let result: T;
	try {
		result = await attack();
	} finally {
		running = false;
	}
	const stillWaiting = inFlightSince ? performance.now() - inFlightSince : 0;
	await loop;
	const sorted = [...latencies].sort((a, b) => a - b);
	const p99Ms = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : 0;
	return { result, bystander: { requests: latencies.length, worstMs: Math.max(stillWaiting, ...latencies, 0), p99Ms, failures } };
}

/**
 * Samples a process's RSS every `everyMs` until stopped; `peak` is the highest seen. For "the
 * process stayed under its budget during the attack".
 */
export function sampleRss(pid: number, everyMs = 50): { readonly peak: number; stop(): number } {
	let peak = rssMb(pid);
	const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), everyMs);
	return {
		get peak() {
			return peak;
		},
		stop() {
			clearInterval(timer);
			peak = Math.max(peak, rssMb(pid));
			return peak;
		},
	};
}

/** Waits until the process's RSS is back within `marginMb` of `baselineMb` (true) or `timeoutMs` passes (false). */
export async function rssSettles(pid: number, baselineMb: number, marginMb: number, timeoutMs = 20_000): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (rssMb(pid) <= baselineMb + marginMb) return true;
		await sleep(200);
	}
	return false;
}
