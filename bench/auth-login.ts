/**
 * Sign-in benchmark, embedded mode: 50 clients signing in at once (argon2id verification, session
 * and token issue) against the real start command; prints logins/s, latency and the platform
 * process's peak RSS beside the budget. Also compares the answer time of a wrong password with
 * that of an unknown email, which must not tell them apart.
 *
 *   node bench/auth-login.ts [--seconds 15] [--connections 50] [--compiled]
 *
 * --compiled runs dist/ (what `npm start` runs; `npm run build` first), otherwise the sources.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { freePort } from "../test/helpers/topology.ts";
import { http } from "../test/helpers/http.ts";
import { registerUser, uniqueEmail } from "../test/helpers/users.ts";
import { flag, numberOption } from "./lib/options.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET_PEAK_RSS_MB = 350;

const SECONDS = numberOption("seconds", 15);
const CONNECTIONS = numberOption("connections", 50);
const COMPILED = flag("compiled");

function procStatusMb(pid: number, field: "VmRSS" | "VmHWM"): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
	return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

/** A different client address per request: the benchmark is 50 users, not one address hammering. */
function anyAddress(): string {
	return `10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${crypto.randomInt(1, 255)}`;
}

function median(values: number[]): number {
	return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function timedLogin(base: string, email: string, password: string): Promise<number> {
	const started = performance.now();
	await http(base, "POST", "/api/v1/auth/login", { body: { email, password }, headers: { "x-forwarded-for": anyAddress() } });
	return performance.now() - started;
}

const port = await freePort();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-auth-"));
const config = COMPILED ? "dist/moleculer.config.js" : "moleculer.config.ts";
const child = spawn(
	process.execPath,
	["node_modules/moleculer/bin/moleculer-runner.mjs", "--config", config, "--mask", COMPILED ? "**/*.service.js" : "**/*.service.ts"],
	{
		cwd: ROOT,
		env: { ...process.env, SERVICEDIR: path.join(path.dirname(config), "services"), DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", NODE_ENV: "production", AUTH_REGISTRATIONS_PER_HOUR: "0" },
		stdio: ["ignore", "ignore", "inherit"],
	}
);
const base = `http://127.0.0.1:${port}`;

try {
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (Date.now() > deadline) throw new Error("platform not ready within 30 s");
		const ready = await fetch(`${base}/health/ready`).then(r => r.status === 200, () => false);
		if (ready) break;
		await new Promise(r => setTimeout(r, 100));
	}
	await new Promise(r => setTimeout(r, 500));

	const users = [];
	for (let i = 0; i < CONNECTIONS; i++) users.push(await registerUser(base));
	const rssBefore = procStatusMb(child.pid!, "VmRSS");

	let sampledPeak = rssBefore;
	const sampler = setInterval(() => {
		sampledPeak = Math.max(sampledPeak, procStatusMb(child.pid!, "VmRSS"));
	}, 100);
	const bodies = users.map(u => JSON.stringify({ email: u.email, password: u.password }));
	let next = 0;
	const result = await autocannon({
		url: base,
		connections: CONNECTIONS,
		duration: SECONDS,
		requests: [
			{
				method: "POST",
				path: "/api/v1/auth/login",
				setupRequest(request: autocannon.Request) {
					return {
						...request,
						headers: { "content-type": "application/json", "x-forwarded-for": anyAddress() },
						body: bodies[next++ % bodies.length],
					};
				},
			},
		],
	});
	clearInterval(sampler);
	const peakRss = Math.max(sampledPeak, procStatusMb(child.pid!, "VmHWM"));

	// Timing of the two failures an attacker would like to tell apart, interleaved.
	const known = users[0];
	const wrongPassword: number[] = [];
	const unknownEmail: number[] = [];
	for (let i = 0; i < 40; i++) {
		// Separate accounts per attempt, so no lockout cuts the work short for either kind.
		wrongPassword.push(await timedLogin(base, users[(i % (users.length - 1)) + 1].email, known.password + "-wrong"));
		unknownEmail.push(await timedLogin(base, uniqueEmail("nobody"), known.password));
	}

	const ok = result["2xx"];
	const row = (name: string, value: string, budget = "") => console.log(`  ${name.padEnd(40)} ${value.padStart(12)}   ${budget}`);
	console.log(`sign-in benchmark, ${COMPILED ? "compiled dist/" : "type stripping of sources"}, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})`);
	console.log(`  ${CONNECTIONS} concurrent clients for ${SECONDS} s, argon2id m=19456 KiB t=2 p=1`);
	row("successful logins", String(ok));
	row("non-2xx answers / errors", `${result.non2xx} / ${result.errors}`);
	row("logins per second (mean)", (ok / SECONDS).toFixed(1));
	row("latency p50 / p99", `${result.latency.p50} / ${result.latency.p99} ms`);
	row("RSS before the load", `${rssBefore.toFixed(1)} MB`);
	row("peak RSS during the load", `${peakRss.toFixed(1)} MB`, `budget < ${BUDGET_PEAK_RSS_MB} MB ${peakRss < BUDGET_PEAK_RSS_MB ? "ok" : "OVER"}`);
	row("median answer, wrong password", `${median(wrongPassword).toFixed(1)} ms`);
	row("median answer, unknown email", `${median(unknownEmail).toFixed(1)} ms`, "(should be close to the line above)");
} finally {
	child.kill("SIGTERM");
	await new Promise(r => child.once("exit", r));
	fs.rmSync(dataDir, { recursive: true, force: true });
}
