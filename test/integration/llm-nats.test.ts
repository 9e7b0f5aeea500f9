import { expect } from "chai";
import OpenAI from "openai";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, type Topology } from "../helpers/topology.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";
import { closeAll, fakeProviderEnv, startFakeAnthropic, startFakeGemini, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";

describe("llm across NATS (gateway, auth and llm in separate processes)", function () {
	this.timeout(90_000);
	let db: TestDatabase | undefined;
	let topology: Topology | undefined;
	let openai: FakeProvider, anthropic: FakeProvider, gemini: FakeProvider;
	let token: string;

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		[openai, anthropic, gemini] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeGemini()]);
		topology = await startTopology(
			{ gateway: ["api"], accounts: ["auth"], llm: ["llm"], others: ["documents", "optimizer"] },
			{
				TRANSPORTER: TEST_NATS_URL,
				DATABASE_URL: db.url,
				REDIS_URL: TEST_REDIS_URL,
				JWT_SECRET: "llm-nats-test-secret-0123456789abcdef",
				...fakeProviderEnv({ openai, anthropic, gemini }),
			}
		);
		token = (await registerUser(topology.baseUrl)).accessToken;
	});

	after(async () => {
		await topology?.stop();
		await closeAll({ openai, anthropic, gemini });
		await db?.drop();
	});

	beforeEach(() => [openai, anthropic, gemini].forEach(f => f?.reset()));

	it("runs a parallel request over three providers from the gateway's process, and answers the repeat from the shared cache", async () => {
		openai.script({ text: "one" });
		anthropic.script({ text: "two" });
		gemini.script({ text: "three" });
		const body = { prompt: "count", providers: ["openai", "anthropic", "gemini"], params: { temperature: 0 } };
		const first = await http(topology!.baseUrl, "POST", "/api/v1/llm/complete", { token, body });
		expect(first.status).to.equal(200);
		expect(first.body.results.map((r: { output: string }) => r.output)).to.deep.equal(["one", "two", "three"]);
		const second = await http(topology!.baseUrl, "POST", "/api/v1/llm/complete", { token, body });
		expect(second.body).to.deep.include({ cached: true, costUsd: 0 });
		expect(openai.requests.length + anthropic.requests.length + gemini.requests.length).to.equal(3);
	});

	it("serves the official openai client, streaming included, through the bus", async () => {
		const client = new OpenAI({ apiKey: token, baseURL: `${topology!.baseUrl}/v1`, maxRetries: 0 });
		anthropic.script({ text: "across the bus" });
		const reply = await client.chat.completions.create({ model: "anthropic:claude-3-5-haiku-latest", messages: [{ role: "user", content: "hi" }] });
		expect(reply.choices[0].message.content).to.equal("across the bus");

		openai.script({ text: "streamed across the bus in pieces" });
		let text = "";
		let chunks = 0;
		for await (const chunk of await client.chat.completions.create({ model: "openai:gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true })) {
			text += chunk.choices[0]?.delta?.content ?? "";
			chunks++;
		}
		expect(text).to.equal("streamed across the bus in pieces");
		expect(chunks).to.be.greaterThan(3);
	});

	it("reports provider state and validation errors across the bus", async () => {
		const providers = await http(topology!.baseUrl, "GET", "/api/v1/llm/providers", { token });
		expect(providers.body.find((p: { name: string }) => p.name === "gemini")).to.deep.include({ configured: true, circuit: "closed" });
		const invalid = await http(topology!.baseUrl, "POST", "/api/v1/llm/complete", { token, body: { prompt: "x", providers: ["nobody"] } });
		expect(invalid.status).to.equal(422);
	});
});
