import { expect } from "chai";
import { RESULT_CACHE_PREFIX } from "../../services/llm/result-cache.ts";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";
import { closeAll, fakeProviderEnv, startFakeAnthropic, startFakeGemini, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";

/** Short limits so failures, retries and circuits show within a test; a small budget and request limit. */
const LLM_SETTINGS = {
	LLM_TIMEOUT_MS: "400",
	LLM_RETRIES: "1",
	LLM_RETRY_BASE_MS: "10",
	// Above the most consecutive failures any other test causes one provider, so only the circuit test opens one.
	LLM_CIRCUIT_FAILURES: "5",
	LLM_CIRCUIT_RESET_MS: "400",
	LLM_USER_MONTHLY_BUDGET_USD: "0.05",
	LLM_USER_REQUESTS_PER_MINUTE: "30",
};

for (const backend of BACKENDS) {
	describe(`llm orchestrator (${backend.name})`, function () {
		const fakes: Record<string, FakeProvider> = {};
		let openai: FakeProvider, anthropic: FakeProvider, gemini: FakeProvider, compatible: FakeProvider;
		let token: string;
		// The suite's DATA_DIR survives platform.restart() (the stored-answer test restarts it).
		const platform = usePlatform(backend, async () => {
			[openai, anthropic, gemini, compatible] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeGemini(), startFakeOpenAI({ name: "compatible", models: ["llama3.2:1b"] })]);
			Object.assign(fakes, { openai, anthropic, gemini, compatible });
			return { env: { ...fakeProviderEnv({ openai, anthropic, gemini, compatible, compatibleModels: ["llama3.2:1b"] }), ...LLM_SETTINGS } };
		});

		const complete = (body: unknown, as = token) => http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token: as, body });

		after(async () => {
			await closeAll(fakes);
		});

		beforeEach(async () => {
			for (const fake of Object.values(fakes)) fake.reset();
			token = (await registerUser(platform.baseUrl)).accessToken;
		});

		it("lists every provider: configured or not, its models, its circuit", async () => {
			const res = await http(platform.baseUrl, "GET", "/api/v1/llm/providers", { token });
			expect(res.status).to.equal(200);
			const byName = Object.fromEntries(res.body.map((p: { name: string }) => [p.name, p]));
			expect(byName.openai).to.deep.include({ configured: true, circuit: "closed" });
			expect(byName.openai.models).to.include("gpt-4o-mini");
			expect(byName["openai-compatible"]).to.deep.include({ configured: true, models: ["llama3.2:1b"] });
			expect(Object.keys(byName)).to.include.members(["anthropic", "gemini"]);
			expect((await http(platform.baseUrl, "GET", "/api/v1/llm/providers")).status).to.equal(401);
		});

		it("answers a prompt with one provider: output, usage, cost from the price table, latency", async () => {
			openai.script({ text: "Bonjour!", usage: { inputTokens: 1000, outputTokens: 500 } });
			const res = await complete({ prompt: "Say hello in French", providers: ["openai"] });
			expect(res.status).to.equal(200);
			expect(res.body).to.deep.include({ output: "Bonjour!", cached: false, usage: { inputTokens: 1000, outputTokens: 500 } });
			// gpt-4o-mini: $0.15 in, $0.60 out per million tokens
			expect(res.body.costUsd).to.be.closeTo((1000 * 0.15 + 500 * 0.6) / 1e6, 1e-12);
			expect(res.body.results).to.have.length(1);
			expect(res.body.results[0]).to.deep.include({ provider: "openai", model: "gpt-4o-mini", output: "Bonjour!", cached: false });
			expect(res.body.results[0].latencyMs).to.be.a("number");
			expect(Number(res.headers.get("x-platform-overhead-ms"))).to.be.at.least(0);
			expect(openai.requests[0].body.messages).to.deep.equal([{ role: "user", content: "Say hello in French" }]);
		});

		it("parallel: every provider at once, each result side by side, a failure keeps its own entry", async () => {
			openai.script({ text: "from openai", usage: { inputTokens: 10, outputTokens: 10 } });
			anthropic.script({ text: "from anthropic", usage: { inputTokens: 10, outputTokens: 10 } });
			gemini.script({ status: 500, message: "gemini exploded" });
			compatible.script({ text: "from llama" });
			const res = await complete({ messages: [{ role: "user", content: "compare" }], providers: ["openai", "anthropic", "gemini", "openai-compatible:llama3.2:1b"], strategy: "parallel" });
			expect(res.status).to.equal(200);
			const results = res.body.results;
			expect(results.map((r: { provider: string }) => r.provider)).to.deep.equal(["openai", "anthropic", "gemini", "openai-compatible"]);
			expect(results.map((r: { output: string }) => r.output)).to.deep.equal(["from openai", "from anthropic", "", "from llama"]);
			expect(results[2].error.type).to.equal("server_error");
			expect(results[3]).to.deep.include({ model: "llama3.2:1b", costUsd: 0 });
			expect(res.body.output).to.equal("from openai");
			expect(res.body.costUsd).to.be.closeTo(results.reduce((sum: number, r: { costUsd: number }) => sum + r.costUsd, 0), 1e-12);
			expect(gemini.requests).to.have.length(2); // a 500 is retried once (LLM_RETRIES=1)
		});

		it("fallback: the next provider only after an error, in order", async () => {
			openai.script({ status: 503 });
			anthropic.script({ text: "anthropic saved the day" });
			const res = await complete({ prompt: "hi", providers: ["openai", "anthropic", "gemini"], strategy: "fallback" });
			expect(res.body.output).to.equal("anthropic saved the day");
			expect(res.body.results.map((r: { provider: string }) => r.provider)).to.deep.equal(["openai", "anthropic"]);
			expect(res.body.results[0].error.type).to.equal("server_error");
			expect(gemini.requests).to.have.length(0);
		});

		it("fallback moves on at once when Retry-After asks for longer than is worth waiting", async () => {
			openai.script({ status: 429, retryAfter: 3600 });
			const res = await complete({ prompt: "hi", providers: ["openai", "gemini"], strategy: "fallback" });
			expect(res.body.results[0].error.type).to.equal("rate_limited");
			expect(res.body.output).to.equal("[fake-gemini] hi");
			expect(openai.requests).to.have.length(1);
		});

		it("race: the first success wins and the slower call is aborted", async () => {
			openai.script({ text: "slow", delayMs: 300 });
			anthropic.script({ text: "quick" });
			const res = await complete({ prompt: "hi", providers: ["openai", "anthropic"], strategy: "race" });
			expect(res.body.output).to.equal("quick");
			expect(res.body.chosen).to.deep.equal({ provider: "anthropic", model: "claude-3-5-haiku-latest" });
			expect(res.body.results[0].error.type).to.equal("aborted");
			expect(res.body.results[0].error.message).to.match(/answered first/);
			expect(openai.requests).to.have.length(1);
		});

		it("race: a provider that fails fast does not win", async () => {
			anthropic.script({ status: 400, message: "bad request" });
			openai.script({ text: "steady", delayMs: 50 });
			const res = await complete({ prompt: "hi", providers: ["anthropic", "openai"], strategy: "race" });
			expect(res.body.output).to.equal("steady");
			expect(res.body.results[0].error.type).to.equal("client_error");
		});

		it("consensus: the answer most in agreement with the others", async () => {
			openai.script({ text: "The capital of France is Paris." });
			anthropic.script({ text: "Paris is the capital of France." });
			gemini.script({ text: "Certainly Marseille, a port city." });
			const res = await complete({ prompt: "Capital of France?", providers: ["gemini", "openai", "anthropic"], strategy: "consensus" });
			expect(res.body.results).to.have.length(3);
			expect(res.body.chosen.provider).to.be.oneOf(["openai", "anthropic"]);
			expect(res.body.output).to.match(/Paris/);
		});

		it("the `fast` alias races its models", async () => {
			gemini.script({ text: "gemini first" });
			openai.script({ text: "openai later", delayMs: 200 });
			anthropic.script({ text: "anthropic later", delayMs: 200 });
			const res = await complete({ prompt: "hi", model: "fast" });
			expect(res.body.output).to.equal("gemini first");
			expect(res.body.results.filter((r: { error?: { type: string } }) => r.error?.type === "aborted")).to.have.length(2);
		});

		it("retries a 429 after its Retry-After, and a 500, but never a 400", async () => {
			openai.script({ status: 429, retryAfter: 1 }, { text: "after waiting" });
			let res = await complete({ prompt: "hi", providers: ["openai"] });
			expect(res.body.output).to.equal("after waiting");
			expect(openai.requests).to.have.length(2);

			anthropic.script({ status: 400, message: "your request is wrong" });
			res = await complete({ prompt: "hi", providers: ["anthropic"] });
			expect(res.status).to.equal(200);
			expect(res.body.results[0].error.type).to.equal("client_error");
			expect(anthropic.requests).to.have.length(1);
		});

		it("times a provider out (per attempt), retries once, then reports the timeout", async () => {
			openai.script({ hang: true });
			const res = await complete({ prompt: "hi", providers: ["openai"] });
			expect(res.body.results[0].error.type).to.equal("timeout");
			expect(res.body.output).to.equal("");
			expect(openai.requests).to.have.length(2);
		});

		it("opens a failing provider's circuit (visible in /providers), skips it while open, closes it after a good trial", async () => {
			gemini.script({ status: 500 });
			// Three requests of two attempts each: six failures in a row.
			for (let i = 0; i < 3; i++) await complete({ prompt: "hi", providers: ["gemini"] });
			const circuitOf = async () => (await http(platform.baseUrl, "GET", "/api/v1/llm/providers", { token })).body.find((p: { name: string }) => p.name === "gemini").circuit;
			expect(await circuitOf()).to.equal("open");
			const seen = gemini.requests.length;
			const refused = await complete({ prompt: "hi", providers: ["gemini", "openai"], strategy: "fallback" });
			expect(refused.body.results[0].error.type).to.equal("circuit_open");
			expect(refused.body.output).to.equal("[fake-openai] hi");
			expect(gemini.requests).to.have.length(seen);

			await new Promise(r => setTimeout(r, 450)); // LLM_CIRCUIT_RESET_MS=400
			gemini.script({ text: "healthy again" });
			const trial = await complete({ prompt: "hi", providers: ["gemini"] });
			expect(trial.body.output).to.equal("healthy again");
			expect(await circuitOf()).to.equal("closed");
		});

		it("refuses with 402 once the monthly budget is spent, before calling the provider; free providers still answer", async () => {
			// 400,000 input tokens of gpt-4o-mini cost $0.06, over the $0.05 budget.
			openai.script({ text: "expensive", usage: { inputTokens: 400_000, outputTokens: 0 } });
			expect((await complete({ prompt: "hi", providers: ["openai"] })).status).to.equal(200);
			const refused = await complete({ prompt: "again", providers: ["openai"] });
			expect(refused.status).to.equal(402);
			expect(refused.body.error.type).to.equal("BUDGET_EXCEEDED");
			expect(refused.body.error.message).to.match(/monthly LLM budget of \$0\.05/);
			expect(openai.requests).to.have.length(1);
			const free = await complete({ prompt: "free", providers: ["openai-compatible"] });
			expect(free.status).to.equal(200);
			expect(free.body.output).to.equal("[fake-compatible] free");
			const usage = await http(platform.baseUrl, "GET", "/api/v1/llm/usage", { token });
			expect(usage.body.spentUsd).to.be.closeTo(0.06, 1e-9);
			expect(usage.body).to.deep.include({ budgetUsd: 0.05, calls: 2 });
			// Another user has a budget of their own.
			const other = (await registerUser(platform.baseUrl)).accessToken;
			expect((await complete({ prompt: "mine", providers: ["openai"] }, other)).status).to.equal(200);
		});

		it("limits requests per user per minute with 429 and Retry-After", async () => {
			const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => complete({ prompt: `n${i}`, providers: ["openai-compatible"] })));
			expect(answers.map(a => a.status)).to.deep.equal(Array(30).fill(200));
			const limited = await complete({ prompt: "one too many", providers: ["openai-compatible"] });
			expect(limited.status).to.equal(429);
			expect(limited.body.error.message).to.match(/30 a minute/);
			expect(Number(limited.headers.get("retry-after"))).to.be.greaterThan(0);
			expect(compatible.requests).to.have.length(30);
		});

		it("answers a repeated deterministic request from the cache: cached, free, no provider call", async () => {
			openai.script({ text: "deterministic", usage: { inputTokens: 100, outputTokens: 100 } });
			const body = { prompt: "What is 2+2?", providers: ["openai"], params: { temperature: 0 } };
			const first = await complete(body);
			expect(first.body).to.deep.include({ cached: false, output: "deterministic" });
			expect(first.body.costUsd).to.be.greaterThan(0);
			const second = await complete(body);
			expect(second.body).to.deep.include({ cached: true, costUsd: 0, output: "deterministic" });
			expect(second.body.results[0]).to.deep.include({ cached: true, costUsd: 0 });
			expect(openai.requests).to.have.length(1);

			// Not shared between users, and not used when the request says cache: false or is not deterministic.
			const other = (await registerUser(platform.baseUrl)).accessToken;
			expect((await complete(body, other)).body.cached).to.equal(false);
			expect((await complete({ ...body, cache: false })).body.cached).to.equal(false);
			expect((await complete({ ...body, params: { temperature: 0.7 } })).body.cached).to.equal(false);
			expect(openai.requests).to.have.length(4);
			// cache: true caches a non-deterministic request too. (A prompt of its own: every call is recorded,
			// and a cacheable request may also be answered from the record of the same call made just before,
			// depending on whether that record's batched write has landed.)
			const asked = { ...body, prompt: "What is 3+3?", params: { temperature: 0.7 }, cache: true };
			expect((await complete(asked)).body.cached).to.equal(false);
			expect((await complete(asked)).body.cached).to.equal(true);
			expect(openai.requests).to.have.length(5);
		});

		it("never caches an answer with a failed provider in it", async () => {
			gemini.script({ status: 400 });
			const body = { prompt: "partial", providers: ["openai", "gemini"], params: { temperature: 0 } };
			await complete(body);
			expect((await complete(body)).body.cached).to.equal(false);
			expect(openai.requests).to.have.length(2);
		});

		it("answers from the stored result after a restart, when the cache no longer has it, finish reason included", async () => {
			anthropic.script({ text: "stored answer", usage: { inputTokens: 5, outputTokens: 5 }, finishReason: "length" });
			const registered = await registerUser(platform.baseUrl);
			const body = { prompt: "remember me", providers: ["anthropic"], params: { temperature: 0 } };
			const first = await complete(body, registered.accessToken);
			expect(first.body).to.deep.include({ cached: false, finishReason: "length" });
			expect(first.body.results[0].finishReason).to.equal("length");
			await platform.restart(); // stopping writes every call record
			await platform.broker.cacher?.clean(`${RESULT_CACHE_PREFIX}.**`);
			const again = await complete(body, registered.accessToken);
			expect(again.body).to.deep.include({ cached: true, costUsd: 0, output: "stored answer", finishReason: "length" });
			expect(anthropic.requests).to.have.length(1);
		});

		it("stores a provider answer holding NUL characters (without them), and goes on storing every call", async () => {
			anthropic.script({ text: "before\u0000after", usage: { inputTokens: 3, outputTokens: 3 } });
			const registered = await registerUser(platform.baseUrl);
			const body = { prompt: "a NUL in the answer", providers: ["anthropic"], params: { temperature: 0 } };
			const first = await complete(body, registered.accessToken);
			expect(first.status).to.equal(200);
			expect(first.body.output).to.equal("before\u0000after"); // passed on as the provider said it
			anthropic.script({ text: "a plain answer", usage: { inputTokens: 3, outputTokens: 3 } });
			await complete({ ...body, prompt: "the next call" }, registered.accessToken);
			await platform.restart(); // stopping writes every call record
			await platform.broker.cacher?.clean(`${RESULT_CACHE_PREFIX}.**`);
			const again = await complete(body, registered.accessToken);
			expect(again.body).to.deep.include({ cached: true, output: "beforeafter" });
			const usage = await http(platform.baseUrl, "GET", "/api/v1/llm/usage", { token: registered.accessToken });
			expect(usage.body.calls, "both calls were stored").to.equal(2);
		});

		it("streams: a provider that sends no first token in time is a 504 in OpenAI's shape", async () => {
			openai.script({ text: "too late", chunkDelayMs: 600 }); // LLM_TIMEOUT_MS=400
			const res = await http(platform.baseUrl, "POST", "/v1/chat/completions", {
				token,
				body: { model: "openai:gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] },
			});
			expect(res.status).to.equal(504);
			expect(res.body.error).to.deep.include({ type: "api_error", code: "provider_timeout" });
		});

		it("streams: a provider that goes quiet mid-answer ends the stream with an error event, not a silent stop", async () => {
			// The role chunk and "one " at once, then a pause longer than LLM_TIMEOUT_MS=400.
			openai.script({ text: "one two three", chunkDelayMs: index => (index === 1 ? 600 : 0) });
			const res = await http(platform.baseUrl, "POST", "/v1/chat/completions", {
				token,
				body: { model: "openai:gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] },
			});
			expect(res.status).to.equal(200);
			const events = res.text.split("\n\n").filter(Boolean);
			expect(events.at(-1)).to.equal("data: [DONE]");
			expect(res.text).to.contain('"content":"one "');
			const error = JSON.parse(events.at(-2)!.slice("data: ".length)).error;
			expect(error).to.deep.include({ type: "api_error", code: "timeout" });
			expect(error.message).to.match(/stopped sending/);
			expect(res.text).to.not.contain('"finish_reason":"stop"');
		});

		it("asks for JSON when the request wants JSON output", async () => {
			openai.script({ text: '{"answer":4}' });
			const res = await complete({ prompt: "2+2 as JSON", providers: ["openai"], json: true });
			expect(res.body.output).to.equal('{"answer":4}');
			expect(openai.requests[0].body.response_format).to.deep.equal({ type: "json_object" });
		});

		it("gives free-form chat to the offline analyzer an honest 'unsupported' error, never invented text", async function () {
			const providers = (await http(platform.baseUrl, "GET", "/api/v1/llm/providers", { token })).body as { name: string }[];
			if (!providers.some(p => p.name === "local")) this.skip();
			const res = await complete({ prompt: "Tell me a joke", providers: ["local"] });
			expect(res.status).to.equal(200);
			expect(res.body.output).to.equal("");
			expect(res.body.results[0].error.type).to.equal("unsupported");
		});

		it("answers an analysis task with the offline analyzer: structured data, no key, no cost", async () => {
			const input = "Solar panels on the school roof cut the electricity bill by a third. The school plans more solar panels next year.";
			const res = await complete({ task: { types: ["keywords", "statistics"], input }, providers: ["local"] });
			expect(res.status).to.equal(200);
			expect(res.body.data.keywords).to.be.an("array").that.is.not.empty;
			expect(res.body.data.statistics.sentences).to.equal(2);
			expect(res.body.output).to.be.a("string").that.is.not.empty;
			expect(res.body.costUsd).to.equal(0);
		});

		it("asks a chat model for the task as JSON, repairs one invalid answer, and charges both calls", async () => {
			openai.script({ text: "Sure! Here are some keywords: solar, roof", usage: { inputTokens: 100, outputTokens: 10 } }, { text: '{"keywords": ["solar", "roof"]}', usage: { inputTokens: 150, outputTokens: 10 } });
			const res = await complete({ task: { types: ["keywords"], input: "Solar panels on the roof." }, providers: ["openai"] });
			expect(res.status).to.equal(200);
			expect(res.body.data).to.deep.equal({ keywords: ["solar", "roof"] });
			expect(res.body.results[0].usage).to.deep.equal({ inputTokens: 250, outputTokens: 20 });
			expect(openai.requests).to.have.length(2);
			expect(openai.requests[0].body.response_format).to.deep.equal({ type: "json_object" });
			const repair = openai.requests[1].body.messages;
			expect(repair.find((m: { role: string }) => m.role === "assistant").content).to.contain("Here are some keywords");
			expect(repair.at(-1).content).to.match(/not valid/);
		});

		it("reports an analysis that stays invalid after the repair as that provider's error, keeping the others", async () => {
			openai.script({ text: "no json here", usage: { inputTokens: 100, outputTokens: 10 } });
			anthropic.script({ text: '{"keywords": ["roof"]}' });
			const res = await complete({ task: { types: ["keywords"], input: "Solar panels on the roof." }, providers: ["openai", "anthropic"] });
			const [bad, good] = res.body.results;
			expect(bad.error.type).to.equal("invalid_output");
			expect(bad.costUsd).to.be.greaterThan(0); // the tokens were spent all the same
			expect(good.data).to.deep.equal({ keywords: ["roof"] });
			expect(res.body.data).to.deep.equal({ keywords: ["roof"] });
			expect(openai.requests).to.have.length(2);
		});

		it("answers 404 for a profile the caller does not have", async () => {
			const res = await complete({ prompt: "x", profile: "no-such-profile" });
			expect(res.status).to.equal(404);
			expect(openai.requests.length + anthropic.requests.length).to.equal(0);
		});

		it("rejects invalid requests with 422 and says why", async () => {
			const cases: [unknown, RegExp][] = [
				[{ prompt: "x", params: { temperature: 5 } }, /temperature/],
				[{ prompt: "x", providers: ["nope"] }, /Unknown provider "nope"/],
				[{ providers: ["openai"] }, /messages/],
				[{ messages: [{ role: "wizard", content: "x" }] }, /role/],
				[{ prompt: "x", strategy: "vote" }, /Unknown strategy/],
				[{ prompt: "x", params: { max_tokens: -1 } }, /max_tokens/],
			];
			for (const [body, message] of cases) {
				const res = await complete(body);
				expect(res.status, JSON.stringify(body)).to.equal(422);
				expect(`${res.body.error.message} ${JSON.stringify(res.body.error.details ?? "")}`, JSON.stringify(body)).to.match(message);
			}
			expect(openai.requests).to.have.length(0);
		});

		describe("GET /api/v1/llm/usage", () => {
			const usage = (as?: string, query = "") => http(platform.baseUrl, "GET", `/api/v1/llm/usage${query}`, { token: as });

			it("answers 401 without a token or with a bad one, and counts nothing", async () => {
				const before = await usage(token);
				expect(before.status, before.text).to.equal(200);
				for (const as of [undefined, "not-a-token", "dak_not-a-real-key"]) {
					const res = await usage(as);
					expect(res.status, String(as)).to.equal(401);
					expect(res.body.error, String(as)).to.include({ type: "UNAUTHORIZED", code: 401 });
					expect(res.body).not.to.have.property("spentUsd");
				}
				expect((await usage(token)).body).to.deep.equal(before.body);
			});

			it("reports only the caller's own calls and spending, whatever the query names", async () => {
				const bob = await registerUser(platform.baseUrl);
				// 10,000 input tokens of gpt-4o-mini: $0.0015 a call, far below the budget.
				openai.script({ text: "priced", usage: { inputTokens: 10_000, outputTokens: 0 } });
				for (const prompt of ["bob 1", "bob 2"]) expect((await complete({ prompt, providers: ["openai"] }, bob.accessToken)).status).to.equal(200);
				const bobs = (await usage(bob.accessToken)).body;
				expect(bobs).to.deep.include({ calls: 2 });
				expect(bobs.spentUsd).to.be.closeTo(0.003, 1e-9);

				const mine = await usage(token);
				expect(mine.status, mine.text).to.equal(200);
				expect(mine.body).to.deep.include({ month: new Date().toISOString().slice(0, 7), calls: 0, spentUsd: 0, budgetUsd: 0.05, requestsPerMinute: 30 });
				expect((await complete({ prompt: "mine", providers: ["openai"] })).status).to.equal(200);
				const after = (await usage(token)).body;
				expect(after).to.deep.include({ calls: 1 });
				expect(after.spentUsd).to.be.closeTo(0.0015, 1e-9);

				// The route takes no parameters: a query naming Bob, another month or nonsense changes nothing.
				for (const query of [`?userId=${bob.user.id}`, `?user=${bob.user.id}`, `?id=${bob.user.id}`, "?month=2000-01", "?limit=-1&offset=abc", "?calls=99&spentUsd=0"]) {
					const res = await usage(token, query);
					expect(res.status, query).to.equal(200);
					expect(res.body, query).to.deep.equal(after);
				}
				expect((await usage(bob.accessToken)).body).to.deep.equal(bobs);
				expect(openai.requests).to.have.length(3);
			});
		});
	});
}

describe("llm consensus with a judge model (LLM_CONSENSUS_JUDGE)", function () {
	let openai: FakeProvider, anthropic: FakeProvider, gemini: FakeProvider;
	const platform = usePlatform(async () => {
		[openai, anthropic, gemini] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeGemini()]);
		return { env: { ...fakeProviderEnv({ openai, anthropic, gemini }), LLM_CONSENSUS_JUDGE: "openai:gpt-4o" } };
	});

	after(async () => {
		await closeAll({ openai, anthropic, gemini });
	});

	async function askConsensus() {
		const { accessToken } = await registerUser(platform.baseUrl);
		return http(platform.baseUrl, "POST", "/api/v1/llm/complete", {
			token: accessToken,
			body: { prompt: "Capital of France?", providers: ["openai", "anthropic", "gemini"], strategy: "consensus" },
		});
	}

	it("lets the judge pick, even against the majority, and charges the judge's call", async () => {
		// The judge (gpt-4o) picks answer 2 of the three; two of the candidates agree with each other.
		openai.script(req => (req.body.model === "gpt-4o" ? { text: "2", usage: { inputTokens: 300, outputTokens: 1 } } : { text: "Paris is the capital.", usage: { inputTokens: 10, outputTokens: 5 } }));
		anthropic.script({ text: "The answer is Lyon, trust me." });
		gemini.script({ text: "Paris is the capital." });
		const res = await askConsensus();
		expect(res.body.chosen).to.deep.equal({ provider: "anthropic", model: "claude-3-5-haiku-latest" });
		expect(res.body.output).to.equal("The answer is Lyon, trust me.");
		const judged = openai.requests.find(r => r.body.model === "gpt-4o")!;
		expect(judged.body.messages.at(-1).content).to.contain("[3]").and.contain("Lyon");
		const candidatesCost = res.body.results.reduce((sum: number, r: { costUsd: number }) => sum + r.costUsd, 0);
		expect(res.body.costUsd).to.be.greaterThan(candidatesCost);
	});

	it("falls back to agreement when the judge answers nonsense", async () => {
		openai.script(req => (req.body.model === "gpt-4o" ? { text: "I cannot decide." } : { text: "Paris is the capital." }));
		anthropic.script({ text: "The answer is Lyon, trust me." });
		gemini.script({ text: "Paris is the capital." });
		const res = await askConsensus();
		expect(res.body.chosen.provider).to.be.oneOf(["openai", "gemini"]);
	});
});
