/**
 * The standard mixed load (`npm run bench`): the platform as `npm start` runs it (package.json's
 * start script on the compiled dist/), then 50 concurrent clients for a bounded time doing
 * sign-ins, uploads of real PDF/DOCX/text files (awaited until extracted), analyses with the
 * offline analyzer (awaited until done), reads the cache serves, and OpenAI-compatible chat calls
 * to a fake OpenAI. Prints one table: ms to ready, idle RSS, peak RSS under load (VmRSS sampled
 * every 100 ms), throughput and p50/p99 per kind of request and overall, errors by status, each
 * beside its budget where it has one.
 *
 * Two deployments, one column each:
 *   embedded   one process, fresh DATA_DIR (SQLite, in-memory cache), as on the 512 MB instance;
 *   split      one process per service over NATS, with PostgreSQL and Redis (this machine's test
 *              servers, TEST_POSTGRES_URL / TEST_REDIS_URL / TEST_NATS_URL: a fresh database and
 *              namespace, dropped afterwards); RSS summed over the processes, each one's peak shown.
 *
 *   npm run bench [-- --embedded | --topology] [--seconds 45] [--clients 50] [--env NAME=value ...]
 *   (--env adds a variable to every platform process, to try a setting before it goes into the
 *   start script, e.g. --env UV_THREADPOOL_SIZE=64 --env NODE_OPTIONS=--max-semi-space-size=16)
 *
 * Users are registered before the load (argon2 sign-ups are not what is measured), each with one
 * extracted document; sign-ins stay in the mix. Each client sends one X-Forwarded-For entry and the
 * platform believes it (TRUST_PROXY=true), so the per-address limit applies per client, as in production.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { fakeProviderEnv, startFakeOpenAI } from "../test/helpers/fake-providers/index.ts";
import { isAvailable, TEST_NATS_URL, TEST_REDIS_URL } from "../test/helpers/backing-services.ts";
import { createTestDatabase } from "../test/helpers/postgres.ts";
import { checkBuilt, EMBEDDED, ONE_PROCESS_PER_SERVICE, startPlatform, type Layout } from "./lib/platform.ts";
import { MemorySampler } from "./lib/memory-sampler.ts";
import { showJobRows } from "./lib/job-rows.ts";
import { sleep, stopAllChildren, stopEverythingOnExit } from "./lib/processes.ts";
import { makeUploadFiles, Workload, type Job, type Operation } from "./lib/workload.ts";
import { describeJobs, errorsByStatus, figuresByKind, machineLine, mb, ms, printTable, verdict } from "./lib/report.ts";
import { envOptions, flag, numberOption } from "./lib/options.ts";

const BUDGET = { readyMs: 2_000, idleMb: 128, peakMb: 350 };
const IDLE_WAIT_MS = 5_000;
const SECONDS = numberOption("seconds", 45);
const CLIENTS = numberOption("clients", 50);
const EXTRA_ENV = envOptions();
const onlyEmbedded = flag("embedded");
const onlyTopology = flag("topology");

/** The standard mix, in relative weights: mostly cached reads, then chat calls, analyses, uploads, sign-ins. */
const MIX: Partial<Record<Operation, number>> = { document: 15, text: 15, list: 12, "analysis-get": 13, chat: 18, analysis: 12, upload: 10, login: 5 };

/** The order of the table's rows; "all requests" (the overall figures) comes last. */
const KIND_ORDER = ["login", "upload", "upload poll", "upload → ready", "analysis submit", "analysis poll", "analysis → done", "document get", "document text", "document list", "analysis get", "chat completion", "all requests"];

interface RunFigures {
	label: string;
	readyMs: number;
	idleMb: number;
	peakMb: number;
	peaks: Map<string, number>;
	/** The load window: performance.now() at its start, and its length. */
	from: number;
	seconds: number;
	workload: Workload;
	unfinished: Job[];
}

const tempDirs: string[] = [];
const removeTempDirs = () => {
	for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
};
stopEverythingOnExit((SECONDS * 2 + 150) * 1000, removeTempDirs);

async function measure(label: string, layout: Layout, env: Record<string, string>, files: Awaited<ReturnType<typeof makeUploadFiles>>): Promise<RunFigures> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-mixed-"));
	tempDirs.push(dataDir);
	const platform = await startPlatform(layout, { ...env, DATA_DIR: dataDir, TRUST_PROXY: "true", ...EXTRA_ENV });
	try {
		await sleep(IDLE_WAIT_MS);
		const sampler = new MemorySampler(platform.nodes);
		const idleMb = sampler.total();
		const workload = new Workload({ baseUrl: platform.baseUrl, weights: MIX }, files);
		await workload.addClients(CLIENTS);
		sampler.start(100);
		const from = performance.now();
		await workload.run(SECONDS * 1000);
		sampler.stop();
		const unfinished = await workload.settleJobs(30_000);
		if (env.DATABASE_URL) await showJobRows(unfinished, env.DATABASE_URL);
		return { label, readyMs: platform.readyMs, idleMb, peakMb: sampler.peakTotal, peaks: sampler.peakOf, from, seconds: SECONDS, workload, unfinished };
	} finally {
		await platform.stop();
	}
}

/** The split deployment's backing servers, or why they are missing. */
async function splitBackends(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> } | string> {
	for (const service of ["postgres", "redis", "nats"] as const) {
		if (!(await isAvailable(service))) return `${service} is not reachable (set TEST_POSTGRES_URL, TEST_REDIS_URL, TEST_NATS_URL)`;
	}
	const db = await createTestDatabase();
	const namespace = `bench${crypto.randomBytes(4).toString("hex")}`;
	return {
		env: { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, TRANSPORTER: TEST_NATS_URL, NAMESPACE: namespace, JWT_SECRET: crypto.randomBytes(32).toString("hex") },
		async cleanup() {
			await db.drop();
			// Only this run's keys (cache, rate limits, denylist), never anyone else's.
			const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
			try {
				await redis.connect();
				for await (const keys of redis.scanStream({ match: `${namespace}*`, count: 500 })) if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
			} finally {
				redis.disconnect();
			}
		},
	};
}

function printResults(runs: RunFigures[], skipped: string | undefined): void {
	const cell = (f: (run: RunFigures) => string) => runs.map(f);
	const rank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);
	const kinds = [...new Set(runs.flatMap(run => figuresByKind(run.workload.samples, run.from, run.seconds).map(k => k.kind)))].sort((a, b) => rank(a) - rank(b));
	const withinBudget = (run: RunFigures, ok: boolean) => (run.label.startsWith("embedded") ? ` ${verdict(ok)}` : "");
	const rows: string[][] = [
		["", ...runs.map(run => run.label), "budget (embedded)"],
		["ready (GET /health/ready = 200)", ...cell(run => `${ms(run.readyMs)}${withinBudget(run, run.readyMs < BUDGET.readyMs)}`), `< ${BUDGET.readyMs} ms`],
		[`idle RSS (${IDLE_WAIT_MS / 1000} s after ready)`, ...cell(run => `${mb(run.idleMb)}${withinBudget(run, run.idleMb < BUDGET.idleMb)}`), `< ${BUDGET.idleMb} MB`],
		["peak RSS under load", ...cell(run => `${mb(run.peakMb)}${withinBudget(run, run.peakMb < BUDGET.peakMb)}`), `< ${BUDGET.peakMb} MB`],
	];
	const processNames = [...new Set(runs.flatMap(run => (run.peaks.size > 1 ? [...run.peaks.keys()] : [])))];
	for (const name of processNames) rows.push([`  peak RSS of ${name}`, ...cell(run => (run.peaks.has(name) && run.peaks.size > 1 ? mb(run.peaks.get(name)!) : "")), ""]);
	rows.push(["req/s, p50 / p99 per request kind:", ...cell(() => ""), ""]);
	for (const kind of kinds) {
		rows.push([
			`  ${kind}`,
			...cell(run => {
				const k = figuresByKind(run.workload.samples, run.from, run.seconds).find(f => f.kind === kind);
				return k ? `${k.perSecond.toFixed(1)}/s  ${ms(k.p50)} / ${ms(k.p99)}` : "";
			}),
			"",
		]);
	}
	rows.push(["errors by status", ...cell(run => errorsByStatus(run.workload.samples)), "none"]);
	rows.push(["uploads / analyses accepted", ...cell(run => `${run.workload.jobs.filter(j => j.type === "upload").length} / ${run.workload.jobs.filter(j => j.type === "analysis").length}`), ""]);
	rows.push(["jobs not ended 30 s after the load", ...cell(run => describeJobs(run.unfinished)), "0"]);
	rows.push(["jobs ended failed", ...cell(run => String(run.workload.jobs.filter(j => j.outcome === "failed" || j.outcome === "cancelled").length)), "0"]);
	printTable(rows);
	console.log("(upload → ready and analysis → done: from the 201/202 until the client saw the end; their polls are the \"poll\" kinds)");
	if (skipped) console.log(`split deployment skipped: ${skipped}`);
}

checkBuilt();
const fake = await startFakeOpenAI();
// Answers at once: the figures are the platform's, not a provider's.
fake.script(() => {
	fake.requests.length = 0;
	return { text: "Solar panels cut electricity bills and emissions.", usage: { inputTokens: 16, outputTokens: 9 } };
});
const providerEnv = fakeProviderEnv({ openai: fake });
let exitCode = 0;
try {
	console.log(`mixed load: ${CLIENTS} clients for ${SECONDS} s each run; ${machineLine()}`);
	if (Object.keys(EXTRA_ENV).length > 0) console.log(`platform started with ${Object.entries(EXTRA_ENV).map(([k, v]) => `${k}=${v}`).join(" ")} on top of the start script`);
	const files = await makeUploadFiles();
	const runs: RunFigures[] = [];
	if (!onlyTopology) runs.push(await measure("embedded (1 process)", EMBEDDED, providerEnv, files));
	let skipped: string | undefined;
	if (!onlyEmbedded) {
		const backends = await splitBackends();
		if (typeof backends === "string") skipped = backends;
		else {
			try {
				runs.push(await measure(`split over NATS (${Object.keys(ONE_PROCESS_PER_SERVICE).length} processes)`, ONE_PROCESS_PER_SERVICE, { ...providerEnv, ...backends.env }, files));
			} catch (err) {
				skipped = `it failed: ${(err as Error).stack}`;
				exitCode = 1;
			} finally {
				await backends.cleanup();
			}
		}
	}
	console.log("");
	printResults(runs, skipped);
	const embedded = runs.find(run => run.label.startsWith("embedded"));
	if (embedded && !(embedded.readyMs < BUDGET.readyMs && embedded.idleMb < BUDGET.idleMb && embedded.peakMb < BUDGET.peakMb)) exitCode = 1;
} finally {
	await stopAllChildren();
	await fake.close();
	removeTempDirs();
}
process.exit(exitCode);
