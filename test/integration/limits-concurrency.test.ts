import { expect } from "chai";
import { BACKENDS, startPlatform, usePlatform, type TestPlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, uniqueEmail } from "../helpers/users.ts";
import { closeAll, fakeProviderEnv, startFakeOpenAI, type FakeProvider, type FakeRequest } from "../helpers/fake-providers/index.ts";

/**
 * Limits that protect accounts and money, hit by requests sent in parallel as a hostile client
 * would: each must hold as it does for requests sent one after another.
 */

let ipCounter = 0;
/** A fresh documentation-range address per request or test, so per-address counters never carry over. */
function freshIp(): string {
	ipCounter++;
	return `198.19.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

const count = (statuses: number[], status: number) => statuses.filter(s => s === status).length;

/** Shared by both nodes of a suite, so a token signed by one is valid on the other. */
const JWT_SECRET = "limits-concurrency-test-secret-0123456789";

/** A second node of the suite's deployment (its own gateway, auth and llm services, the same database and Redis), for a test's duration. */
async function withSecondNode<T>(env: Record<string, string | undefined>, test: (second: TestPlatform) => Promise<T>): Promise<T> {
	const second = await startPlatform({ env });
	try {
		return await test(second);
	} finally {
		await second.stop();
	}
}

for (const backend of BACKENDS) {
	describe(`limits under concurrency: sign-in attempts (${backend.name})`, function () {
		// Behind a proxy, so each request can come from an address of its own (X-Forwarded-For).
		const platform = usePlatform(backend, { env: { TRUST_PROXY: "true", JWT_SECRET } });
		const login = (email: string, password: string, ip: string, baseUrl = platform.baseUrl) =>
			http(baseUrl, "POST", "/api/v1/auth/login", { body: { email, password }, headers: { "x-forwarded-for": ip } });

		it("40 wrong passwords for one account in parallel: only the free 5 are verified, the rest are refused before argon2", async () => {
			const account = await registerUser(platform.baseUrl);
			const guesses = Array.from({ length: 40 }, (_, i) => login(account.email, `wrong-password-${i}`, freshIp()));
			// The right password, sent with the burst: it may not slip through while the guesses are being verified.
			const right = login(account.email, account.password, freshIp());
			const statuses = (await Promise.all(guesses)).map(r => r.status);
			const rightStatus = (await right).status;
			expect(statuses.every(s => s === 401 || s === 429), statuses.join(",")).to.equal(true);
			// 5 attempts are free; a burst lasting past the 1 s and 2 s locks may earn one or two more.
			// Checked after the verification (the bug), all 40 were verified and answered 401.
			const verified = count(statuses, 401) + (rightStatus === 200 ? 1 : 0);
			expect(verified, statuses.join(",")).to.be.at.most(8);
			expect(count(statuses, 429)).to.be.at.least(32);
		});

		it("40 wrong passwords from one address over 40 accounts in parallel: exactly 30 are verified", async () => {
			const attacker = freshIp();
			const statuses = (await Promise.all(Array.from({ length: 40 }, (_, i) => login(uniqueEmail(`spray${i}`), "Spray-password-1", attacker)))).map(r => r.status);
			expect(count(statuses, 401), statuses.join(",")).to.equal(30);
			expect(count(statuses, 429)).to.equal(10);
		});

		if (backend.requires.includes("redis")) {
			it("holds across nodes: guesses split over two auth nodes get the same 5 verifications and the same 30 per address", async () => {
				await withSecondNode(platform.env, async second => {
					const node = (i: number) => (i % 2 ? second.baseUrl : platform.baseUrl);
					const account = await registerUser(platform.baseUrl);
					const guesses = (await Promise.all(Array.from({ length: 40 }, (_, i) => login(account.email, `wrong-${i}`, freshIp(), node(i))))).map(r => r.status);
					expect(count(guesses, 401), guesses.join(",")).to.be.at.most(8);
					const attacker = freshIp();
					const spray = (await Promise.all(Array.from({ length: 40 }, (_, i) => login(uniqueEmail(`spray${i}`), "Spray-password-1", attacker, node(i))))).map(r => r.status);
					expect(count(spray, 401), spray.join(",")).to.equal(30);
				});
			});
		}

		it("a successful sign-in gives its attempt back to the address", async () => {
			const address = freshIp();
			const account = await registerUser(platform.baseUrl);
			// 31 successful sign-ins from one address: none of them counts toward its 30 failures.
			for (let i = 0; i < 31; i++) expect((await login(account.email, account.password, address)).status).to.equal(200);
			expect((await login(account.email, "wrong", address)).status).to.equal(401);
		});
	});
}

/** gpt-4o-mini's prices in @pydantic/genai-prices, USD per token. */
const GPT_4O_MINI = { input: 0.15 / 1e6, output: 0.6 / 1e6 };

/** A provider that honours the output limit like a real one, and bills all of it: every call costs its worst case. */
function answerAtTheLimit(req: FakeRequest) {
	const limit = Number(req.body?.max_completion_tokens ?? req.body?.max_tokens ?? 16_384);
	return { text: "ok", usage: { inputTokens: 10, outputTokens: limit } };
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

for (const backend of BACKENDS) {
	describe(`limits under concurrency: the monthly budget and streams (${backend.name})`, function () {
		let openai: FakeProvider;
		let token: string;
		const platform = usePlatform(backend, async () => {
			openai = await startFakeOpenAI();
			return { env: { ...fakeProviderEnv({ openai }), LLM_USER_MONTHLY_BUDGET_USD: "0.05", LLM_USER_REQUESTS_PER_MINUTE: "0", LLM_TIMEOUT_MS: "5000", JWT_SECRET } };
		});
		const complete = (body: unknown) => http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token, body });
		const spent = async () => (await http(platform.baseUrl, "GET", "/api/v1/llm/usage", { token })).body as { spentUsd: number; calls: number };

		after(() => closeAll({ openai }));
		beforeEach(async () => {
			openai.reset();
			token = (await registerUser(platform.baseUrl)).accessToken;
		});

		it("20 paid calls in parallel on a $0.05 budget: the worst cases reserved before calling keep the spend within it", async () => {
			openai.script(answerAtTheLimit);
			// Each call may cost $0.006 (10,000 output tokens): 8 fit in $0.05. Unreserved, all 20 ran and spent $0.12.
			const statuses = (await Promise.all(Array.from({ length: 20 }, () => complete({ prompt: "hi", providers: ["openai:gpt-4o-mini"], params: { max_tokens: 10_000 } })))).map(r => r.status);
			expect(statuses.every(s => s === 200 || s === 402), statuses.join(",")).to.equal(true);
			expect(count(statuses, 200)).to.be.at.least(1);
			expect(count(statuses, 402)).to.be.at.least(1);
			expect(openai.requests).to.have.length(count(statuses, 200));
			const usage = await spent();
			expect(usage.spentUsd).to.be.at.most(0.05);
			expect(usage.spentUsd).to.be.closeTo(count(statuses, 200) * (10 * GPT_4O_MINI.input + 10_000 * GPT_4O_MINI.output), 1e-9);
		});

		if (backend.requires.includes("redis")) {
			it("holds across nodes: 20 paid calls split over two llm nodes spend at most the budget (one Redis counter)", async () => {
				openai.script(answerAtTheLimit);
				await withSecondNode(platform.env, async second => {
					const send = (i: number) =>
						http(i % 2 ? second.baseUrl : platform.baseUrl, "POST", "/api/v1/llm/complete", { token, body: { prompt: "hi", providers: ["openai:gpt-4o-mini"], params: { max_tokens: 10_000 } } });
					const statuses = (await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)))).map(r => r.status);
					expect(count(statuses, 402), statuses.join(",")).to.be.at.least(1);
					await http(second.baseUrl, "GET", "/api/v1/llm/usage", { token }); // writes the second node's records
				});
				expect((await spent()).spentUsd).to.be.at.most(0.05);
			});
		}

		it("a call whose worst case passes the budget is refused with 402 naming the budget, and the provider is never called", async () => {
			openai.script(answerAtTheLimit);
			// max_tokens 1,000,000 of gpt-4o-mini could cost $0.60: 12 times the whole budget.
			const answers = await Promise.all(Array.from({ length: 5 }, () => complete({ prompt: "hi", providers: ["openai:gpt-4o-mini"], params: { max_tokens: 1_000_000 } })));
			for (const res of answers) {
				expect(res.status).to.equal(402);
				expect(res.body.error).to.include({ type: "BUDGET_EXCEEDED", code: 402 });
				expect(res.body.error.message).to.match(/monthly LLM budget of \$0\.05 has \$0\.05\d* left .* could cost up to \$0\.6/);
			}
			expect(openai.requests).to.have.length(0);
			expect((await spent()).spentUsd).to.equal(0);
		});

		it("a paid call without max_tokens is sent LLM_DEFAULT_MAX_TOKENS, so what it reserved bounds what it can cost", async () => {
			openai.script(answerAtTheLimit);
			const res = await complete({ prompt: "hi", providers: ["openai:gpt-4o-mini"] });
			expect(res.status).to.equal(200);
			expect(openai.requests[0].body.max_completion_tokens).to.equal(4096);
		});

		it("prices a dated model id as the model it names, and refuses a paid model without a price with 422 naming LLM_PRICING", async () => {
			openai.script({ text: "ok", usage: { inputTokens: 1_000, outputTokens: 1_000 } });
			const dated = await complete({ prompt: "hi", providers: ["openai:gpt-4o-2024-08-06"], params: { max_tokens: 1_000 } });
			expect(dated.status).to.equal(200);
			// gpt-4o: $2.50 in, $10 out per million tokens (before: gpt-4o-mini's $0.15/$0.60).
			expect(dated.body.costUsd).to.be.closeTo((1_000 * 2.5 + 1_000 * 10) / 1e6, 1e-12);
			openai.reset();
			const unknown = await complete({ prompt: "hi", providers: ["openai:gpt-99-preview"] });
			expect(unknown.status).to.equal(422);
			expect(unknown.body.error.message).to.contain("LLM_PRICING").and.to.contain("openai:gpt-99-preview");
			const viaV1 = await http(platform.baseUrl, "POST", "/v1/chat/completions", { token, body: { model: "openai:gpt-99-preview", messages: [{ role: "user", content: "hi" }] } });
			expect(viaV1.status).to.equal(422);
			expect(openai.requests).to.have.length(0);
		});

		it("a client that disconnects from a stream stops the provider at once, and is charged the reserved worst case", async () => {
			let framesWritten = 0;
			// 50,000 words, one frame each, 2 ms apart: about 100 s if nobody stops it.
			openai.script({ text: "word ".repeat(50_000), chunkDelayMs: index => ((framesWritten = index + 1), 2) });
			const reading = new AbortController();
			const res = await fetch(`${platform.baseUrl}/v1/chat/completions`, {
				method: "POST",
				headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
				body: JSON.stringify({ model: "openai:gpt-4o-mini", stream: true, max_tokens: 50_000, messages: [{ role: "user", content: "a long story" }] }),
				signal: reading.signal,
			});
			expect(res.status).to.equal(200);
			const reader = res.body!.getReader();
			for (let i = 0; i < 3; i++) await reader.read();
			reading.abort();
			await reader.cancel().catch(() => {});

			// The provider's connection is closed, so it stops writing: the count settles (unfixed it kept growing for ~100 s).
			let before = -1;
			for (let settled = 0, polls = 0; settled < 3 && polls < 15; polls++) {
				await sleep(400);
				settled = framesWritten === before ? settled + 1 : 0;
				before = framesWritten;
			}
			const atRest = framesWritten;
			await sleep(1_000);
			expect(framesWritten, "frames the provider wrote after the client left").to.equal(atRest);
			expect(framesWritten).to.be.below(20_000);

			// Charged what the provider may have generated (it reported no usage): 50,000 output tokens, $0.03, not the relayed words.
			let usage = await spent();
			for (let i = 0; i < 20 && usage.calls === 0; i++) {
				await sleep(100);
				usage = await spent();
			}
			expect(usage.calls).to.equal(1);
			expect(usage.spentUsd).to.be.at.least(50_000 * GPT_4O_MINI.output);
			expect(usage.spentUsd).to.be.below(0.05);
		});
	});
}
