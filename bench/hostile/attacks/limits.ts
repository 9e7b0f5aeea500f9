/**
 * Area E of issue 14: limits that protect accounts and money, hit in parallel as a hostile client
 * would (sign-in guesses, paid calls against a budget, a stream abandoned mid-answer, an unpriced model).
 */
import type { HostileAttack } from "../attack.ts";
import { http } from "../../../test/helpers/http.ts";
import { registerUser, uniqueEmail } from "../../../test/helpers/users.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeRequest } from "../../../test/helpers/fake-providers/index.ts";

// One fake OpenAI in the bench process for every case here; it answers with as many tokens as it was allowed.
const openai = await startFakeOpenAI();
let framesWritten = 0;
openai.script((req: FakeRequest) =>
	req.body?.stream
		? { text: "word ".repeat(50_000), chunkDelayMs: (index: number) => ((framesWritten = index + 1), 2) }
		: { text: "ok", usage: { inputTokens: 10, outputTokens: Number(req.body?.max_completion_tokens ?? 4096) } }
);
const LLM_ENV = { ...fakeProviderEnv({ openai }), LLM_USER_MONTHLY_BUDGET_USD: "0.05", LLM_USER_REQUESTS_PER_MINUTE: "0" };

let ip = 0;
const freshIp = () => `198.51.100.${(++ip % 250) + 1}`;
const tally = (statuses: number[]) =>
	Object.entries(statuses.reduce<Record<number, number>>((n, s) => ((n[s] = (n[s] ?? 0) + 1), n), {}))
		.map(([status, times]) => `${times}x ${status}`)
		.join(", ");
const login = (baseUrl: string, email: string, password: string, from: string) =>
	http(baseUrl, "POST", "/api/v1/auth/login", { body: { email, password }, headers: { "x-forwarded-for": from } });
const spentUsd = async (baseUrl: string, token: string) => ((await http(baseUrl, "GET", "/api/v1/llm/usage", { token })).body as { spentUsd: number }).spentUsd;

/** 20 paid calls at once, each allowed `maxTokens`, against LLM_ENV's $0.05 budget: what was answered and spent. */
function paidCallsOnBudget(name: string, maxTokens: number): HostileAttack {
	return {
		name,
		env: LLM_ENV,
		setup: async baseUrl => (await registerUser(baseUrl)).accessToken,
		async run(baseUrl, token) {
			const call = () => http(baseUrl, "POST", "/api/v1/llm/complete", { token: token as string, body: { prompt: "hi", providers: ["openai:gpt-4o-mini"], params: { max_tokens: maxTokens } } });
			const statuses = (await Promise.all(Array.from({ length: 20 }, call))).map(r => r.status);
			return `${tally(statuses)}; spent $${(await spentUsd(baseUrl, token as string)).toFixed(4)} of $0.05`;
		},
	};
}

const attacks: HostileAttack[] = [
	{
		name: "40 parallel wrong passwords for one account, then the right one",
		env: { TRUST_PROXY: "true" },
		setup: baseUrl => registerUser(baseUrl),
		async run(baseUrl, prepared) {
			const account = prepared as { email: string; password: string };
			const guesses = Array.from({ length: 40 }, (_, i) => login(baseUrl, account.email, `wrong-${i}`, freshIp()));
			const right = login(baseUrl, account.email, account.password, freshIp());
			const statuses = (await Promise.all(guesses)).map(r => r.status);
			return `${tally(statuses)}; right password: ${(await right).status}`;
		},
	},
	{
		name: "40 parallel wrong passwords from one address over 40 accounts",
		env: { TRUST_PROXY: "true" },
		async run(baseUrl) {
			const from = freshIp();
			const statuses = (await Promise.all(Array.from({ length: 40 }, (_, i) => login(baseUrl, uniqueEmail(`spray${i}`), "Spray-password-1", from)))).map(r => r.status);
			return tally(statuses);
		},
	},
	paidCallsOnBudget("20 parallel paid calls (max_tokens 10000) on a $0.05 budget", 10_000),
	paidCallsOnBudget("20 parallel paid calls with max_tokens 1000000 on a $0.05 budget", 1_000_000),
	{
		name: "/v1 stream: read 3 chunks, disconnect (max_tokens 50000)",
		env: LLM_ENV,
		setup: async baseUrl => (await registerUser(baseUrl)).accessToken,
		async run(baseUrl, token) {
			framesWritten = 0;
			const reading = new AbortController();
			const res = await fetch(`${baseUrl}/v1/chat/completions`, {
				method: "POST",
				headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
				body: JSON.stringify({ model: "openai:gpt-4o-mini", stream: true, max_tokens: 50_000, messages: [{ role: "user", content: "a long story" }] }),
				signal: reading.signal,
			});
			const reader = res.body!.getReader();
			for (let i = 0; i < 3; i++) await reader.read();
			const atDisconnect = framesWritten;
			reading.abort();
			await new Promise(resolve => setTimeout(resolve, 2_000));
			return `provider wrote ${framesWritten - atDisconnect} frames after the disconnect (of 50000); charged $${(await spentUsd(baseUrl, token as string)).toFixed(4)}`;
		},
	},
	{
		name: "paid model without a known price (openai:gpt-99-preview)",
		env: LLM_ENV,
		setup: async baseUrl => (await registerUser(baseUrl)).accessToken,
		async run(baseUrl, token) {
			const res = await http(baseUrl, "POST", "/api/v1/llm/complete", { token: token as string, body: { prompt: "hi", providers: ["openai:gpt-99-preview"] } });
			return `${res.status} ${res.body.error?.type ?? ""}: ${res.body.error?.message?.slice(0, 60) ?? ""}`;
		},
	},
];

export default attacks;
