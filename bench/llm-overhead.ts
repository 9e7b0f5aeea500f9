/**
 * LLM orchestration overhead: what the platform adds to an LLM call, against a fake OpenAI that
 * answers at once (its own process, so its cost is not the platform's).
 *
 *   1. one client, sequential: median latency of the official `openai` client calling the fake
 *      directly, and calling POST /v1/chat/completions through the platform (gateway, auth, the llm
 *      service, the same SDK inside); the difference is the overhead, budget < 2 ms at the median.
 *   2. 50 concurrent clients (autocannon): requests/s, p50 and p99 through the platform, and the fake
 *      alone for reference.
 *   3. the platform's own X-Platform-Overhead-Ms header (median), and its peak RSS (VmHWM).
 *
 * The platform runs embedded (SQLite, memory cache) as `npm start` does, from the TypeScript
 * sources. Requests carry varying X-Forwarded-For addresses, as 50 real clients would, so the
 * gateway's per-address limit does not stop the run.
 *
 *   node bench/llm-overhead.ts [--duration 10] [--sequential 500]
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import OpenAI from "openai";
import { freePort } from "../test/helpers/topology.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../test/helpers/fake-providers/index.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET_OVERHEAD_MS = 2;
const CONNECTIONS = 50;
const arg = (name: string, fallback: number) => {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const DURATION_S = arg("duration", 10);
const SEQUENTIAL = arg("sequential", 500);
const MODEL = "openai:gpt-4o-mini";
const BODY: OpenAI.ChatCompletionCreateParamsNonStreaming = { model: MODEL, messages: [{ role: "user", content: "Summarise the benefits of solar panels in one sentence." }], max_tokens: 64 };

// Child mode: serve the fake provider from its own process, print its URL, live until killed.
if (process.argv.includes("--serve-fake")) {
	const fake = await startFakeOpenAI();
	fake.script(() => {
		fake.requests.length = 0; // the log would grow for the whole run
		return { text: "Solar panels cut electricity bills and emissions.", usage: { inputTokens: 16, outputTokens: 9 } };
	});
	console.log(fake.url);
	await new Promise(() => {});
}

function startChild(args: string[], env: Record<string, string>): ChildProcess {
	return spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
}

async function firstLine(child: ChildProcess): Promise<string> {
	const lines = readline.createInterface({ input: child.stdout! });
	for await (const line of lines) return line.trim();
	throw new Error("child exited before printing");
}

async function waitReady(baseUrl: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		try {
			const res = await fetch(`${baseUrl}/health/ready`);
			await res.arrayBuffer();
			if (res.status === 200) return;
		} catch {
			// not listening yet
		}
		await new Promise(r => setTimeout(r, 50));
	}
	throw new Error("platform not ready within 30 s");
}

const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let address = 0;
const nextAddress = () => `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address++ & 255}`;

async function sequentialLatencies(client: OpenAI, count: number, onHeaders?: (headers: Headers) => void): Promise<number[]> {
	const latencies: number[] = [];
	for (let i = 0; i < count; i++) {
		const started = performance.now();
		const { response } = await client.chat.completions.create(BODY, { headers: { "x-forwarded-for": nextAddress() } }).withResponse();
		latencies.push(performance.now() - started);
		onHeaders?.(response.headers);
	}
	return latencies;
}

async function load(url: string, headers: Record<string, string>): Promise<autocannon.Result> {
	return autocannon({
		url,
		method: "POST",
		connections: CONNECTIONS,
		duration: DURATION_S,
		headers: { "content-type": "application/json", ...headers },
		body: JSON.stringify(BODY),
		requests: [
			{
				setupRequest(request: autocannon.Request) {
					request.headers = { ...request.headers, "x-forwarded-for": nextAddress() };
					return request;
				},
			},
		],
	});
}

const row = (name: string, value: string, budget = "", verdict = "") => console.log(`  ${name.padEnd(46)} ${value.padStart(12)}   ${budget.padEnd(12)} ${verdict}`);

const fakeProcess = startChild([fileURLToPath(import.meta.url), "--serve-fake"], {});
const fakeUrl = await firstLine(fakeProcess);
const port = await freePort();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-llm-"));
const platform = startChild([path.join(ROOT, "node_modules/moleculer/bin/moleculer-runner.mjs"), "--config", "moleculer.config.ts", "--mask", "**/*.service.ts"], {
	SERVICEDIR: "services",
	DATA_DIR: dataDir,
	PORT: String(port),
	HOST: "127.0.0.1",
	LOG_LEVEL: "warn",
	NODE_ENV: "production",
	LLM_USER_REQUESTS_PER_MINUTE: "1000000000",
	TRUST_PROXY: "true",
	...fakeProviderEnv({ openai: { url: fakeUrl } as FakeProvider }),
});
const baseUrl = `http://127.0.0.1:${port}`;

try {
	await waitReady(baseUrl);
	// The gateway builds its REST aliases just after the services register: retry while it has not.
	let register: Response;
	for (let attempt = 0; ; attempt++) {
		register = await fetch(`${baseUrl}/api/v1/auth/register`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ email: `bench-${Date.now()}@example.test`, password: `Bench-${crypto.randomUUID()}` }),
		});
		if (register.status !== 404 || attempt === 50) break;
		await new Promise(r => setTimeout(r, 100));
	}
	if (register.status !== 201) throw new Error(`could not register: ${register.status} ${await register.text()}`);
	const { accessToken } = (await register.json()) as { accessToken: string };
	const keyAnswer = await fetch(`${baseUrl}/api/v1/auth/api-keys`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ name: "bench" }) });
	const { key } = (await keyAnswer.json()) as { key: string };
	if (!key) throw new Error(`could not create an API key: ${keyAnswer.status}`);

	const direct = new OpenAI({ apiKey: "bench", baseURL: fakeUrl, maxRetries: 0 });
	const viaPlatform = new OpenAI({ apiKey: key, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
	// Warm both paths: lazy SDK loading, JIT, connection pools.
	await sequentialLatencies(direct, 100);
	await sequentialLatencies(viaPlatform, 100);

	const reported: number[] = [];
	const directLatencies = await sequentialLatencies(direct, SEQUENTIAL);
	const platformLatencies = await sequentialLatencies(viaPlatform, SEQUENTIAL, headers => reported.push(Number(headers.get("x-platform-overhead-ms"))));
	const overhead = median(platformLatencies) - median(directLatencies);

	const directLoad = await load(`${fakeUrl}/chat/completions`, { authorization: "Bearer bench" });
	const platformLoad = await load(`${baseUrl}/v1/chat/completions`, { authorization: `Bearer ${key}` });
	const peak = peakRssMb(platform.pid!);

	console.log(`LLM overhead, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), load average ${os.loadavg()[0].toFixed(1)}, NODE_OPTIONS=${process.env.NODE_OPTIONS ?? ""}`);
	console.log(`model ${MODEL} on a fake that answers at once, in its own process`);
	console.log(`one client, ${SEQUENTIAL} sequential calls with the openai SDK`);
	row("direct to the fake provider, median", `${median(directLatencies).toFixed(2)} ms`);
	row("through the platform, median", `${median(platformLatencies).toFixed(2)} ms`);
	row("overhead at the median", `${overhead.toFixed(2)} ms`, `< ${BUDGET_OVERHEAD_MS} ms`, overhead < BUDGET_OVERHEAD_MS ? "ok" : "OVER");
	row("X-Platform-Overhead-Ms header, median", `${median(reported).toFixed(2)} ms`);
	console.log(`${CONNECTIONS} concurrent clients, ${DURATION_S} s (autocannon)`);
	for (const [name, result] of [["through the platform", platformLoad], ["direct to the fake provider", directLoad]] as const) {
		row(`${name}: requests/s`, result.requests.average.toFixed(0));
		row(`${name}: p50 / p99`, `${result.latency.p50} / ${result.latency.p99} ms`);
		if (result.non2xx || result.errors) row(`${name}: failed requests`, String(result.non2xx + result.errors), "", `FAILED ${JSON.stringify(result.statusCodeStats)}`);
	}
	row("platform peak RSS (VmHWM)", `${peak.toFixed(1)} MB`, "< 350 MB", peak < 350 ? "ok" : "OVER");
} finally {
	platform.kill("SIGTERM");
	fakeProcess.kill("SIGTERM");
	await new Promise(r => platform.once("exit", r));
	fs.rmSync(dataDir, { recursive: true, force: true });
}
