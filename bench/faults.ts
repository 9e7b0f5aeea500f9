/**
 * Fault tests (`npm run bench:faults`): the platform split one process per service over NATS, on
 * PostgreSQL and Redis, all of them private to this run (own redis-server, nats-server and a
 * throwaway PostgreSQL cluster, each on its own loopback port; the machine's shared servers are
 * never touched). Under a steady load of uploads, analyses and reads, one fault after another:
 *
 *   1. SIGKILL the documents process (it also runs analyses) and start it again 2 s later;
 *   2. stop Redis for 5 s, then start it (empty);
 *   3. stop NATS for 5 s, then start it;
 *   4. restart PostgreSQL (fast shutdown, start again);
 *   5. pause Redis (SIGSTOP) for 5 s: a hang, not an outage (connections stay open, nothing answers);
 *   6. SIGKILL one of the two llm replicas, start it again 5 s later;
 *   7. SIGTERM the gateway under load, start it again once it has exited.
 *
 * For each: the requests and jobs accepted around it, the error rate during the fault (from the
 * fault until GET /health/ready answers 200 again) and after it (the next 10 s), the slowest
 * answer, and what became of every accepted upload and analysis, polled to its end once the faults
 * are over (none may be lost: each ends ready/succeeded, or failed with a reason). Expectations:
 * no errors after recovery in every case; Redis down: no 5xx at all (cache misses, per-node rate
 * limits); NATS down: 503 for remote services and recovery without help; PostgreSQL restarted: the
 * pool reconnects, no request waits longer than the database timeouts (15 s), none answers 500;
 * Redis paused: no 5xx and no answer slower than 2 s; a replica killed: only 503s, none slower than
 * 2 s (the other replica takes the reads); gateway SIGTERM: gone within 5 s, and every request it
 * took answered (the rest refused at connect, never cut off).
 *
 *   npm run bench:faults [-- --logs] [--fault nats ...]   (runs `npm run build` first; about 2
 *   minutes; exits 1 if an expectation fails; --logs prints each process's last warnings and errors;
 *   --fault runs only the faults whose name contains the word)
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { showJobRows } from "./lib/job-rows.ts";
import { privateNats, privatePostgres, privateRedis, type BackingServer } from "./lib/backing-servers.ts";
import { checkBuilt, ONE_PROCESS_PER_SERVICE, startPlatform, type RunningPlatform } from "./lib/platform.ts";
import { sleep, stopAllChildren, stopEverythingOnExit } from "./lib/processes.ts";
import { makeUploadFiles, Workload, type Job, type Sample } from "./lib/workload.ts";
import { describeJobs, errorsByStatus, isError, machineLine, ms, printTable, statusCounts } from "./lib/report.ts";
import { CLIENT_TIMEOUT, NO_ANSWER } from "./lib/workload.ts";
import { flag, repeatedOption } from "./lib/options.ts";

const CLIENTS = 10;
const BASELINE_MS = 5_000;
const AFTER_MS = 10_000;
const RECOVERY_LIMIT_MS = 60_000;
/** The longest a request may wait on a restarting database: PostgreSQL's statement timeout (shared/db/database.ts). */
const DATABASE_WAIT_LIMIT_MS = 15_000;
/** No answer slower than this while a replica is up or Redis merely hangs (issue 20's goal row). */
const FAILOVER_LIMIT_MS = 2_000;
/** SHUTDOWN_TIMEOUT_MS's default: a SIGTERMed node is gone within it. */
const STOP_LIMIT_MS = 5_000;
/** One process per service, and a second llm replica, so a killed one has a twin to fail over to. */
const LAYOUT = { ...ONE_PROCESS_PER_SERVICE, llm2: ["llm"] };

interface Fault {
	name: string;
	/** Breaks something; answers the restoration, run after `downMs`. */
	inject(): Promise<() => Promise<void>>;
	downMs: number;
	/** What must hold during the fault, beyond "no errors after it and no job lost"; undefined if it holds. */
	duringProblem(during: Sample[]): string | undefined;
	/** A figure of the fault itself for the report ("exited 0.4 s after SIGTERM"). */
	note?(): string;
}

interface FaultOutcome {
	fault: Fault;
	from: number;
	injectedAt: number;
	restoredAt: number;
	recoveredAt: number;
	to: number;
}

const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), "bench-faults-"));
const removeTemp = () => fs.rmSync(tempRoot, { recursive: true, force: true });
stopEverythingOnExit(12 * 60_000, removeTemp);

function faults(platform: RunningPlatform, redis: BackingServer, nats: BackingServer, postgres: BackingServer): Fault[] {
	const serverErrors = (samples: Sample[]) => samples.filter(s => s.status >= 500 || s.status <= 0);
	const slowest = (samples: Sample[]) => Math.max(0, ...samples.map(s => s.ms));
	let gatewayExitMs = 0;
	const restartOf = (server: BackingServer) => async () => {
		await server.stop();
		return () => server.start();
	};
	return [
		{
			name: "documents process SIGKILLed, restarted after 2 s",
			downMs: 2_000,
			async inject() {
				await platform.kill("documents");
				return () => platform.restart("documents");
			},
			duringProblem: () => undefined,
		},
		{
			name: "Redis stopped for 5 s",
			downMs: 5_000,
			inject: restartOf(redis),
			duringProblem: during => (serverErrors(during).length > 0 ? `${serverErrors(during).length} server errors while Redis was down (expected none: cache misses only)` : undefined),
		},
		{
			name: "NATS stopped for 5 s",
			downMs: 5_000,
			inject: restartOf(nats),
			duringProblem(during) {
				const other = during.filter(s => isError(s.status) && s.status !== 503);
				return other.length > 0 ? `errors other than 503 while NATS was down: ${errorsByStatus(other)}` : undefined;
			},
		},
		{
			name: "PostgreSQL restarted (fast shutdown)",
			downMs: 0,
			inject: restartOf(postgres),
			duringProblem(during) {
				const slowest = Math.max(0, ...during.map(s => s.ms));
				if (slowest > DATABASE_WAIT_LIMIT_MS) return `a request waited ${ms(slowest)} (limit ${DATABASE_WAIT_LIMIT_MS} ms)`;
				// A restart is an outage, not a bug: 503 (retry) is the honest answer, 500 is not.
				const internal = during.filter(s => s.status === 500).length;
				return internal > 0 ? `${internal} answers 500 while the database restarted (expected retries, or 503)` : undefined;
			},
		},
		{
			name: "Redis paused (SIGSTOP) for 5 s",
			downMs: 5_000,
			async inject() {
				redis.pause();
				return async () => redis.resume();
			},
			duringProblem(during) {
				if (serverErrors(during).length > 0) return `${serverErrors(during).length} server errors while Redis hung (expected none: cache misses only)`;
				return slowest(during) > FAILOVER_LIMIT_MS ? `an answer took ${ms(slowest(during))} while Redis hung (limit ${FAILOVER_LIMIT_MS} ms)` : undefined;
			},
		},
		{
			name: "llm replica SIGKILLed (its twin up), restarted after 5 s",
			downMs: 5_000,
			async inject() {
				await platform.kill("llm", "SIGKILL");
				return () => platform.restart("llm");
			},
			duringProblem(during) {
				const other = during.filter(s => isError(s.status) && s.status !== 503);
				if (other.length > 0) return `errors other than 503 with a replica up: ${errorsByStatus(other)}`;
				return slowest(during) > FAILOVER_LIMIT_MS ? `an answer took ${ms(slowest(during))} with a replica up (limit ${FAILOVER_LIMIT_MS} ms)` : undefined;
			},
		},
		{
			name: "gateway SIGTERMed under load, restarted once gone",
			downMs: 0,
			async inject() {
				const signalled = performance.now();
				await platform.kill("api", "SIGTERM");
				gatewayExitMs = performance.now() - signalled;
				return () => platform.restart("api");
			},
			duringProblem(during) {
				if (gatewayExitMs > STOP_LIMIT_MS) return `the gateway took ${ms(gatewayExitMs)} to stop (limit ${STOP_LIMIT_MS} ms)`;
				// Refused connections were never taken; a request cut off without an answer was.
				const lost = during.filter(s => s.status === NO_ANSWER || s.status === CLIENT_TIMEOUT);
				return lost.length > 0 ? `${lost.length} request(s) taken and left without an answer` : undefined;
			},
			note: () => `exited ${ms(gatewayExitMs)} after SIGTERM`,
		},
	];
}

async function untilReadyAgain(baseUrl: string): Promise<number> {
	const deadline = performance.now() + RECOVERY_LIMIT_MS;
	while (performance.now() < deadline) {
		const status = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(5_000) }).then(
			async res => (await res.arrayBuffer(), res.status),
			() => 0
		);
		if (status === 200) return performance.now();
		await sleep(100);
	}
	throw new Error(`the platform was not ready again within ${RECOVERY_LIMIT_MS / 1000} s`);
}

async function runFault(fault: Fault, platform: RunningPlatform): Promise<FaultOutcome> {
	const from = performance.now();
	await sleep(BASELINE_MS);
	const injectedAt = performance.now();
	const restore = await fault.inject();
	await sleep(fault.downMs);
	await restore();
	const restoredAt = performance.now();
	const recoveredAt = await untilReadyAgain(platform.baseUrl);
	await sleep(AFTER_MS);
	return { fault, from, injectedAt, restoredAt, recoveredAt, to: performance.now() };
}

const rate = (samples: Sample[]) => {
	const errors = samples.filter(s => isError(s.status)).length;
	return `${errors}/${samples.length} (${samples.length ? ((100 * errors) / samples.length).toFixed(1) : "0"}%)`;
};

function jobCounts(jobs: Job[], type: Job["type"]): { text: string; lost: number } {
	const of = jobs.filter(job => job.type === type);
	const count = (outcome: string) => of.filter(job => job.outcome === outcome).length;
	const lost = of.filter(job => job.outcome === undefined).length;
	const done = type === "upload" ? `${count("ready")} ready` : `${count("succeeded")} succeeded`;
	const unreasoned = of.filter(job => job.outcome === "failed" && !job.reason).length;
	return { text: `${of.length}: ${done}, ${count("failed") + count("cancelled")} failed${unreasoned ? ` (${unreasoned} without reason)` : ""}, ${lost} lost`, lost: lost + unreasoned };
}

function report(outcomes: FaultOutcome[], workload: Workload): boolean {
	let allHeld = true;
	const rows: string[][] = [["fault", "errors during", "statuses during", "slowest during", "recovered after", "errors after", "uploads accepted", "analyses accepted", "note", "verdict"]];
	for (const o of outcomes) {
		const inWindow = (a: number, b: number) => workload.samples.filter(s => !s.endToEnd && s.at >= a && s.at < b);
		const during = inWindow(o.injectedAt, o.recoveredAt);
		const after = inWindow(o.recoveredAt, o.to);
		const jobs = workload.jobs.filter(job => job.acceptedAt >= o.from && job.acceptedAt < o.to);
		const uploads = jobCounts(jobs, "upload");
		const analyses = jobCounts(jobs, "analysis");
		const problems = [
			o.fault.duringProblem(during),
			after.some(s => isError(s.status)) ? `errors after recovery: ${errorsByStatus(after)}` : undefined,
			uploads.lost + analyses.lost > 0 ? `job(s) lost: ${describeJobs(jobs.filter(job => job.outcome === undefined || (job.outcome === "failed" && !job.reason)))}` : undefined,
		].filter(Boolean);
		allHeld &&= problems.length === 0;
		rows.push([
			o.fault.name,
			rate(during),
			statusCounts(during),
			ms(Math.max(0, ...during.map(s => s.ms))),
			`${((o.recoveredAt - o.restoredAt) / 1000).toFixed(1)} s`,
			rate(after),
			uploads.text,
			analyses.text,
			o.fault.note?.() ?? "",
			problems.length === 0 ? "ok" : `FAIL: ${problems.join("; ")}`,
		]);
	}
	printTable(rows);
	console.log("errors by request kind, during each fault | after it:");
	const byKind = (a: number, b: number) => {
		const errors = workload.samples.filter(s => !s.endToEnd && s.at >= a && s.at < b && isError(s.status));
		return [...new Set(errors.map(s => s.kind))].map(kind => `${kind} ${errorsByStatus(errors.filter(s => s.kind === kind))}`).join("; ") || "none";
	};
	for (const o of outcomes) console.log(`  ${o.fault.name}: ${byKind(o.injectedAt, o.recoveredAt)} | ${byKind(o.recoveredAt, o.to)}`);
	const reasons = new Map<string, number>();
	for (const job of workload.jobs.filter(j => j.outcome === "failed" || j.outcome === "cancelled")) reasons.set(`${job.type}: ${job.reason}`, (reasons.get(`${job.type}: ${job.reason}`) ?? 0) + 1);
	if (reasons.size > 0) console.log(`jobs that ended failed, by reason:\n${[...reasons].map(([reason, n]) => `  ${reason} ×${n}`).join("\n")}`);
	return allHeld;
}

/** Stopping Redis proves nothing unless the platform uses the Redis it was given (its cache is there by now). */
async function assertUsesRedis(url: string): Promise<void> {
	const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
	try {
		await client.connect();
		if ((await client.dbsize()) === 0) throw new Error(`the platform stored nothing in REDIS_URL=${url}: it is not using the Redis it was given`);
	} finally {
		client.disconnect();
	}
}

checkBuilt();
let exitCode = 1;
try {
	console.log(`fault tests: ${CLIENTS} clients (uploads, analyses with local, reads), one process per service over NATS; ${machineLine()}`);
	const [redis, nats, postgres] = [await privateRedis(), await privateNats(), await privatePostgres(tempRoot)];
	await Promise.all([redis.start(), nats.start(), postgres.start()]);
	const dataDir = fs.mkdtempSync(path.join(tempRoot, "data-"));
	const platform = await startPlatform(LAYOUT, {
		DATABASE_URL: postgres.url,
		REDIS_URL: redis.url,
		TRANSPORTER: nats.url,
		NAMESPACE: "faults",
		JWT_SECRET: crypto.randomBytes(32).toString("hex"),
		DATA_DIR: dataDir,
		TRUST_PROXY: "true",
	});
	const workload = new Workload(
		{
			baseUrl: platform.baseUrl,
			// providers: a read the llm replicas answer themselves, so requests reach them directly too.
			weights: { upload: 15, analysis: 20, document: 15, text: 15, list: 15, "analysis-get": 20, providers: 10 },
			thinkMs: 100,
			// Longer than the gateway's own 60 s, so a request the platform leaves hanging shows as one.
			requestTimeoutMs: 65_000,
			jobWaitMs: 10_000,
		},
		await makeUploadFiles()
	);
	await workload.addClients(CLIENTS);
	await assertUsesRedis(redis.url);
	const load = workload.run(Number.MAX_SAFE_INTEGER);
	const outcomes: FaultOutcome[] = [];
	const chosen = repeatedOption("fault").map(word => word.toLowerCase());
	for (const fault of faults(platform, redis, nats, postgres).filter(f => chosen.length === 0 || chosen.some(c => f.name.toLowerCase().includes(c)))) {
		console.log(`  ${fault.name} ...`);
		outcomes.push(await runFault(fault, platform));
	}
	workload.stop();
	await load;
	// Every accepted job must end; one whose worker was killed is taken over once its 30 s lease expires.
	await workload.settleJobs(Number(process.env.SETTLE ?? 120_000));
	console.log("");
	const held = report(outcomes, workload);
	console.log(`requests before, between and after the faults: ${workload.samples.filter(s => !s.endToEnd).length}, errors by status over the whole run: ${errorsByStatus(workload.samples.filter(s => !s.endToEnd))}`);
	console.log(held ? "every expectation held" : "SOME EXPECTATIONS FAILED (see verdicts)");
	await showJobRows(workload.jobs.filter(job => job.outcome === undefined), postgres.url);
	exitCode = held ? 0 : 1;
	if (flag("logs")) {
		for (const node of platform.nodes) console.log(`--- ${node.name}, its last warnings and errors\n${node.child.output.join("").split("\n").filter(line => /"level":(40|50|60)/.test(line)).slice(-30).join("\n")}`);
	}
	await platform.stop();
} finally {
	await stopAllChildren();
	removeTemp();
}
process.exit(exitCode);
