import { expect } from "chai";
import { loadConfig, type PlatformConfig } from "../../shared/config.ts";
import { anthropicProvider } from "../../services/llm/providers/anthropic/index.ts";
import { geminiProvider } from "../../services/llm/providers/gemini/index.ts";
import { openaiProvider } from "../../services/llm/providers/openai/index.ts";
import { openaiCompatibleProvider } from "../../services/llm/providers/openai-compatible/index.ts";
import { toProviderError } from "../../services/llm/providers/provider-errors.ts";
import type { Provider, ProviderRequest, StreamEvent } from "../../services/llm/providers/provider.ts";
import { fakeProviderEnv, startFakeAnthropic, startFakeGemini, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";

/** Each provider adapter, with its real SDK, against a local server speaking that provider's wire format. */
interface Case {
	provider: Provider;
	start(): Promise<FakeProvider>;
	env(fake: FakeProvider): Record<string, string>;
	/** Where the fake saw each mapped field. */
	sent(body: any): { system?: string; temperature?: number; topP?: number; maxTokens?: number; stop?: string[]; user: string; jsonMode: boolean };
}

/** OpenAI's chat completions request, from OpenAI itself or a server that copies it. */
const chatCompletionsSent = (maxTokensField: string) => (body: any) => ({
	system: body.messages.find((m: any) => m.role === "system")?.content,
	temperature: body.temperature,
	topP: body.top_p,
	maxTokens: body[maxTokensField],
	stop: body.stop,
	user: body.messages.filter((m: any) => m.role === "user").map((m: any) => m.content).join("|"),
	jsonMode: body.response_format?.type === "json_object",
});

const CASES: Case[] = [
	{
		provider: openaiProvider,
		start: () => startFakeOpenAI(),
		env: openai => fakeProviderEnv({ openai }),
		sent: chatCompletionsSent("max_completion_tokens"),
	},
	{
		provider: openaiCompatibleProvider,
		start: () => startFakeOpenAI({ name: "compatible", models: ["llama3.2:1b"] }),
		env: compatible => fakeProviderEnv({ compatible, compatibleModels: ["llama3.2:1b"] }),
		sent: chatCompletionsSent("max_tokens"),
	},
	{
		provider: anthropicProvider,
		start: () => startFakeAnthropic(),
		env: anthropic => fakeProviderEnv({ anthropic }),
		sent: body => ({
			system: body.system,
			temperature: body.temperature,
			topP: body.top_p,
			maxTokens: body.max_tokens,
			stop: body.stop_sequences,
			user: body.messages.filter((m: any) => m.role === "user").map((m: any) => m.content).join("|"),
			jsonMode: false,
		}),
	},
	{
		provider: geminiProvider,
		start: () => startFakeGemini(),
		env: gemini => fakeProviderEnv({ gemini }),
		sent: body => ({
			system: body.systemInstruction?.parts?.map((p: any) => p.text).join(""),
			temperature: body.generationConfig?.temperature,
			topP: body.generationConfig?.topP,
			maxTokens: body.generationConfig?.maxOutputTokens,
			stop: body.generationConfig?.stopSequences,
			user: body.contents.filter((c: any) => c.role === "user").map((c: any) => c.parts.map((p: any) => p.text).join("")).join("|"),
			jsonMode: body.generationConfig?.responseMimeType === "application/json",
		}),
	},
];

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
	const all: StreamEvent[] = [];
	for await (const event of events) all.push(event);
	return all;
}

/** What the orchestrator does with a thrown SDK error. */
async function failure(provider: Provider, request: ProviderRequest, config: PlatformConfig) {
	try {
		await provider.complete(request, config);
	} catch (err) {
		return toProviderError(provider.name, err, { timedOut: false, aborted: false });
	}
	throw new Error("expected the call to fail");
}

for (const c of CASES) {
	describe(`llm provider ${c.provider.name} (real SDK against its wire format)`, () => {
		let fake: FakeProvider;
		let config: PlatformConfig;
		const model = () => c.provider.defaultModel(config);
		const request = (extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
			model: model(),
			messages: [
				{ role: "system", content: "Be brief." },
				{ role: "user", content: "First question" },
				{ role: "assistant", content: "First answer" },
				{ role: "user", content: "Second question, ünïcödé ✓" },
			],
			system: "You are a test.",
			params: { temperature: 0.3, top_p: 0.9, max_tokens: 64, stop: ["END"] },
			...extra,
		});

		before(async () => {
			fake = await c.start();
			config = loadConfig(c.env(fake));
		});
		after(() => fake.close());
		beforeEach(() => fake.reset());

		it("is configured only with its settings", () => {
			expect(c.provider.isConfigured(config)).to.equal(true);
			expect(c.provider.isConfigured(loadConfig({}))).to.equal(false);
			expect(c.provider.models(config)).to.include(model());
		});

		it("maps messages, system and sampling settings to the provider's request, and the answer back", async () => {
			fake.script({ text: "Mapped answer", usage: { inputTokens: 42, outputTokens: 7 } });
			const response = await c.provider.complete(request(), config);
			expect(response).to.include({ text: "Mapped answer", finishReason: "stop" });
			expect(response.usage).to.deep.equal({ inputTokens: 42, outputTokens: 7 });
			const sent = c.sent(fake.requests[0].body);
			expect(sent.system).to.contain("You are a test.").and.contain("Be brief.");
			expect(sent.user).to.equal("First question|Second question, ünïcödé ✓");
			expect(sent).to.include({ temperature: 0.3, topP: 0.9, maxTokens: 64 });
			expect(sent.stop).to.deep.equal(["END"]);
			expect(fake.requests[0].model).to.equal(model());
		});

		it("asks for JSON when JSON output is wanted", async () => {
			fake.script({ text: '{"ok":true}' });
			await c.provider.complete(request({ json: true, system: undefined, messages: [{ role: "user", content: "give me data" }] }), config);
			const sent = c.sent(fake.requests[0].body);
			expect(sent.system).to.match(/JSON/);
			if (c.provider.name !== "anthropic") expect(sent.jsonMode).to.equal(true);
		});

		it("reports a length-limited answer as finish reason length", async () => {
			fake.script({ text: "cut", finishReason: "length" });
			expect((await c.provider.complete(request(), config)).finishReason).to.equal("length");
		});

		it("streams the answer in pieces, ending with finish reason and usage", async () => {
			fake.script({ text: "one two three four", usage: { inputTokens: 11, outputTokens: 4 } });
			const events = await collect(c.provider.stream!(request(), config));
			expect(events.map(e => e.delta).join("")).to.equal("one two three four");
			expect(events.filter(e => e.delta).length).to.be.greaterThan(1);
			expect(events.at(-1)).to.deep.include({ finishReason: "stop", usage: { inputTokens: 11, outputTokens: 4 } });
			expect(fake.requests[0].stream).to.equal(true);
		});

		it("classifies a 429 as retryable and keeps the provider's Retry-After", async () => {
			fake.script({ status: 429, retryAfter: 7 });
			const error = await failure(c.provider, request(), config);
			expect(error).to.include({ kind: "rate_limited", status: 429, retryable: true, retryAfterMs: 7000 });
		});

		it("classifies a 500 as a retryable server error and a 400 as a client error that is not retried", async () => {
			fake.script({ status: 500 });
			expect(await failure(c.provider, request(), config)).to.include({ kind: "server_error", retryable: true });
			fake.script({ status: 400, message: "bad field" });
			expect(await failure(c.provider, request(), config)).to.include({ kind: "client_error", retryable: false });
			expect(fake.requests).to.have.length(2); // the SDK itself never retried
		});

		it("stops the network call when its signal aborts", async () => {
			fake.script({ hang: true });
			const controller = new AbortController();
			const pending = c.provider.complete(request({ signal: controller.signal }), config);
			while (fake.requests.length === 0) await new Promise(r => setTimeout(r, 5));
			controller.abort();
			let caught: unknown;
			await pending.catch(err => (caught = err));
			expect(toProviderError(c.provider.name, caught, { timedOut: false, aborted: true }).kind).to.equal("aborted");
		});
	});
}
