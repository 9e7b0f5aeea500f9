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
 * The platform runs embedded (SQLite, memory cache) exactly as `npm start` runs it: package.json's
 * start script on the compiled dist/ (`npm run bench:llm` builds first), with its heap and malloc
 * settings, so the RSS figure is the production one. Requests carry X-Forwarded-For addresses of
 * 1,024 clients behind a proxy, so the per-address limit does not stop the run.
 *
 *   npm run bench:llm [-- --duration 10] [--sequential 2000] [--warm-up 2000] [--env NAME=value ...]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import OpenAI from "openai";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../test/helpers/fake-providers/index.ts";
import { checkBuilt, EMBEDDED, startPlatform } from "./lib/platform.ts";
import { startChild, stopAllChildren, stopChild, stopEverythingOnExit } from "./lib/processes.ts";
import { envOptions, flag, numberOption } from "./lib/options.ts";

const BUDGET_OVERHEAD_MS = 2;
const CONNECTIONS = 50;
const DURATION_S = numberOption("duration", 10);
const SEQUENTIAL = numberOption("sequential", 2000);
const WARM_UP = numberOption("warm-up", 2000);
/** `--env NAME=value` adds a variable to the platform process, e.g. NODE_OPTIONS=--cpu-prof to profile it. */
const EXTRA_ENV = envOptions();
const MODEL = "openai:gpt-4o-mini";
const BODY: OpenAI.ChatCompletionCreateParamsNonStreaming = { model: MODEL, messages: [{ role: "user", content: "Summarise the benefits of solar panels in one sentence." }], max_tokens: 64 };

// Child mode: serve the fake provider from its own process, print its URL, live until killed.
if (flag("serve-fake")) {
	const fake = await startFakeOpenAI();
	fake.script(() => {
		fake.requests.length = 0; // the log would grow for the whole run
		return { text: "Solar panels cut electricity bills and emissions.", usage: { inputTokens: 16, outputTokens: 9 } };
	});
	console.log(fake.url);
	await new Promise(() => {});
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
	for await (const line of readline.createInterface({ input: stream })) return line.trim();
	throw new Error("the fake provider exited before printing its address");
}

const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Clients behind the proxy: enough that none reaches the per-address limit (1,200 a minute) during the run. */
const CLIENT_ADDRESSES = 1024;
let address = 0;
const nextAddress = () => {
	const client = address++ % CLIENT_ADDRESSES;
	return `10.0.${client >> 8}.${client & 255}`;
};

async function timedCall(client: OpenAI): Promise<{ ms: number; headers: Headers }> {
	const started = performance.now();
	const { response } = await client.chat.completions.create(BODY, { headers: { "x-forwarded-for": nextAddress() } }).withResponse();
	return { ms: performance.now() - started, headers: response.headers };
}

/**
 * One client, `count` rounds of one direct call then one call through the platform: alternating
 * keeps a drift of the machine's speed (other tenants, CPU frequency) out of the difference.
 */
async function interleavedLatencies(direct: OpenAI, viaPlatform: OpenAI, count: number) {
	const figures = { direct: [] as number[], platform: [] as number[], reportedOverhead: [] as number[] };
	for (let i = 0; i < count; i++) {
		figures.direct.push((await timedCall(direct)).ms);
		const { ms, headers } = await timedCall(viaPlatform);
		figures.platform.push(ms);
		figures.reportedOverhead.push(Number(headers.get("x-platform-overhead-ms")));
	}
	return figures;
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

checkBuilt();
const fake = startChild("fake-openai", process.execPath, [fileURLToPath(import.meta.url), "--serve-fake"]);
const fakeUrl = await firstLine(fake.process.stdout!);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-llm-"));
const removeDataDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
stopEverythingOnExit((DURATION_S * 2 + 180) * 1000, removeDataDir);
const platform = await startPlatform(EMBEDDED, {
	DATA_DIR: dataDir,
	LLM_USER_REQUESTS_PER_MINUTE: "1000000000",
	TRUST_PROXY: "true",
	...fakeProviderEnv({ openai: { url: fakeUrl } as FakeProvider }),
	...EXTRA_ENV,
});
const { baseUrl } = platform;

try {
	const register = await fetch(`${baseUrl}/api/v1/auth/register`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ email: `bench-${Date.now()}@example.test`, password: `Bench-${crypto.randomUUID()}` }),
	});
	if (register.status !== 201) throw new Error(`could not register: ${register.status} ${await register.text()}`);
	const { accessToken } = (await register.json()) as { accessToken: string };
	const keyAnswer = await fetch(`${baseUrl}/api/v1/auth/api-keys`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ name: "bench" }) });
	const { key } = (await keyAnswer.json()) as { key: string };
	if (!key) throw new Error(`could not create an API key: ${keyAnswer.status}`);

	const direct = new OpenAI({ apiKey: "bench", baseURL: fakeUrl, maxRetries: 0 });
	const viaPlatform = new OpenAI({ apiKey: key, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
	// Warm both paths into their steady state: lazy SDK loading, connection pools, and enough calls
	// for V8 to optimise the hot functions (a few hundred are not: the first rounds run ~1 ms slower).
	await interleavedLatencies(direct, viaPlatform, WARM_UP);

	const { direct: directLatencies, platform: platformLatencies, reportedOverhead: reported } = await interleavedLatencies(direct, viaPlatform, SEQUENTIAL);
	const overhead = median(platformLatencies) - median(directLatencies);

	const directLoad = await load(`${fakeUrl}/chat/completions`, { authorization: "Bearer bench" });
	const platformLoad = await load(`${baseUrl}/v1/chat/completions`, { authorization: `Bearer ${key}` });
	const peak = peakRssMb(platform.nodes[0].pid);

	console.log(`LLM overhead, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), load average ${os.loadavg()[0].toFixed(1)}; the platform as npm start runs it (dist/, embedded)`);
	console.log(`model ${MODEL} on a fake that answers at once, in its own process`);
	console.log(`one client with the openai SDK, after ${WARM_UP} warm-up rounds: ${SEQUENTIAL} rounds of one direct call then one through the platform`);
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
	await platform.stop();
	await stopChild(fake);
	await stopAllChildren();
	removeDataDir();
}
