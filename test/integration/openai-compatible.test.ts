import { expect } from "chai";
import OpenAI from "openai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";
import { closeAll, fakeProviderEnv, startFakeAnthropic, startFakeGemini, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";

/** The official `openai` client against the platform's /v1, as any OpenAI client library would use it. */
for (const backend of BACKENDS) {
	describe(`OpenAI-compatible endpoint with the official openai client (${backend.name})`, function () {
		let openai: FakeProvider, anthropic: FakeProvider, gemini: FakeProvider;
		let client: OpenAI;
		let apiKey: string;
		const platform = usePlatform(backend, async () => {
			[openai, anthropic, gemini] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeGemini()]);
			// `offline` names only a provider without settings here: not usable, so not listed.
			const aliases = JSON.stringify({ offline: { strategy: "single", providers: ["openai-compatible:llama3"] } });
			return { env: { ...fakeProviderEnv({ openai, anthropic, gemini }), LLM_RETRIES: "0", LLM_ALIASES: aliases } };
		});

		before(async () => {
			const user = await registerUser(platform.baseUrl);
			const created = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: user.accessToken, body: { name: "openai client" } });
			expect(created.status).to.equal(201);
			apiKey = created.body.key;
			client = new OpenAI({ apiKey, baseURL: `${platform.baseUrl}/v1`, maxRetries: 0 });
		});

		after(async () => {
			await closeAll({ openai, anthropic, gemini });
		});

		beforeEach(() => [openai, anthropic, gemini].forEach(f => f?.reset()));

		it("answers chat.completions.create with an API key, model named provider:model, and reports its overhead", async () => {
			anthropic.script({ text: "Hello from Claude", usage: { inputTokens: 12, outputTokens: 4 } });
			const { data, response } = await client.chat.completions
				.create({ model: "anthropic:claude-3-5-haiku-latest", messages: [{ role: "system", content: "Be kind." }, { role: "user", content: "Hi!" }], temperature: 0.2, max_tokens: 50 })
				.withResponse();
			expect(data.object).to.equal("chat.completion");
			expect(data.model).to.equal("anthropic:claude-3-5-haiku-latest");
			expect(data.choices[0].message).to.deep.include({ role: "assistant", content: "Hello from Claude" });
			expect(data.choices[0].finish_reason).to.equal("stop");
			expect(data.usage).to.deep.include({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });
			const overhead = response.headers.get("x-platform-overhead-ms");
			expect(overhead).to.match(/^\d+(\.\d+)?$/);
			const sent = anthropic.requests[0].body;
			expect(sent).to.deep.include({ system: "Be kind.", temperature: 0.2, max_tokens: 50 });
			expect(sent.messages).to.deep.equal([{ role: "user", content: "Hi!" }]);
		});

		it("streams with stream: true in OpenAI's chunk format, usage included on request", async () => {
			gemini.script({ text: "Streaming works across providers", usage: { inputTokens: 3, outputTokens: 5 } });
			const stream = await client.chat.completions.create({
				model: "gemini:gemini-2.0-flash",
				messages: [{ role: "user", content: "stream please" }],
				stream: true,
				stream_options: { include_usage: true },
			});
			const pieces: string[] = [];
			let finish: string | null = null;
			let usage: OpenAI.CompletionUsage | null | undefined;
			for await (const chunk of stream) {
				if (chunk.choices[0]?.delta?.content) pieces.push(chunk.choices[0].delta.content);
				if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
				if (chunk.usage) usage = chunk.usage;
			}
			expect(pieces.join("")).to.equal("Streaming works across providers");
			expect(pieces.length).to.be.greaterThan(1);
			expect(finish).to.equal("stop");
			expect(usage).to.deep.include({ prompt_tokens: 3, completion_tokens: 5 });
			expect(gemini.requests[0].stream).to.equal(true);
		});

		it("falls back before the first token when a streaming provider fails", async () => {
			openai.script({ status: 500 });
			anthropic.script({ text: "fallback stream" });
			const stream = await client.chat.completions.create({ model: "reliable", messages: [{ role: "user", content: "x" }], stream: true });
			let text = "";
			for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
			expect(text).to.equal("fallback stream");
			expect(openai.requests).to.have.length(1);
		});

		it("streams the chosen answer of a strategy that needs whole answers (race alias `fast`)", async () => {
			openai.script({ text: "slow", delayMs: 200 });
			gemini.script({ text: "fast one" });
			anthropic.script({ text: "slow too", delayMs: 200 });
			const stream = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "x" }], stream: true });
			let text = "";
			for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
			expect(text).to.equal("fast one");
		});

		it("accepts a bare model name a provider lists, and an alias", async () => {
			const bare = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "bare" }] });
			expect(bare.choices[0].message.content).to.equal("[fake-openai] bare");
			const alias = await client.chat.completions.create({ model: "reliable", messages: [{ role: "user", content: "alias" }] });
			expect(alias.choices[0].message.content).to.equal("[fake-openai] alias");
		});

		it("passes on the provider's finish reason, also when the answer comes again from the cache", async () => {
			openai.script({ text: "cut off mid", finishReason: "length" });
			const request = { model: "openai:gpt-4o-mini", messages: [{ role: "user" as const, content: "a long story" }], max_tokens: 3, temperature: 0 };
			const first = await client.chat.completions.create(request);
			expect(first.choices[0]).to.deep.include({ finish_reason: "length" });
			const again = await client.chat.completions.create(request);
			expect(again.choices[0]).to.deep.include({ finish_reason: "length" });
			expect(openai.requests).to.have.length(1);
			const streamed = await client.chat.completions.create({ ...request, stream: true });
			let finish: string | null = null;
			for await (const chunk of streamed) finish = chunk.choices[0]?.finish_reason ?? finish;
			expect(finish).to.equal("length");
		});

		it("lists models as provider:model and aliases", async () => {
			const ids: string[] = [];
			for await (const model of client.models.list()) ids.push(model.id);
			expect(ids).to.include.members(["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest", "gemini:gemini-2.0-flash", "fast", "reliable"]);
			expect(ids.some(id => id.startsWith("openai-compatible:"))).to.equal(false); // not configured here
			expect(ids, "an alias none of whose providers is configured").not.to.include("offline");
		});

		it("raises the client library's own error classes, from OpenAI's error shape", async () => {
			const failure = async (work: Promise<unknown>) => {
				try {
					await work;
				} catch (err) {
					return err as InstanceType<typeof OpenAI.APIError>;
				}
				throw new Error("expected an error");
			};
			const unknown = await failure(client.chat.completions.create({ model: "nobody:nothing", messages: [{ role: "user", content: "x" }] }));
			expect(unknown).to.be.instanceOf(OpenAI.UnprocessableEntityError);
			expect(unknown.message).to.match(/Unknown provider/);
			expect((unknown.error as { type: string }).type).to.equal("invalid_request_error");

			const badKey = new OpenAI({ apiKey: "dak_not-a-real-key", baseURL: `${platform.baseUrl}/v1`, maxRetries: 0 });
			expect(await failure(badKey.chat.completions.create({ model: "openai:gpt-4o-mini", messages: [{ role: "user", content: "x" }] }))).to.be.instanceOf(OpenAI.AuthenticationError);

			openai.script({ status: 429, retryAfter: 3600 });
			const limited = await failure(client.chat.completions.create({ model: "openai:gpt-4o-mini", messages: [{ role: "user", content: "x" }] }));
			expect(limited).to.be.instanceOf(OpenAI.RateLimitError);

			openai.script({ status: 500 });
			expect((await failure(client.chat.completions.create({ model: "openai:gpt-4o-mini", messages: [{ role: "user", content: "x" }] }))).status).to.equal(502);

			const stream = await failure(
				(async () => {
					openai.script({ status: 500 });
					for await (const chunk of await client.chat.completions.create({ model: "openai:gpt-4o-mini", messages: [{ role: "user", content: "x" }], stream: true })) void chunk;
				})()
			);
			expect(stream.status).to.equal(502);

			const invalid = await failure(client.chat.completions.create({ model: "openai:gpt-4o-mini", messages: [] }));
			expect(invalid).to.be.instanceOf(OpenAI.UnprocessableEntityError);
		});

		it("refuses content it cannot pass on instead of dropping it", async () => {
			const res = await http(platform.baseUrl, "POST", "/v1/chat/completions", {
				token: apiKey,
				body: { model: "openai:gpt-4o-mini", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://x/y.png" } }] }] },
			});
			expect(res.status).to.equal(400);
			expect(res.body.error).to.deep.include({ type: "invalid_request_error", message: "Only text content parts are supported" });
			expect(openai.requests).to.have.length(0);
		});
	});
}
