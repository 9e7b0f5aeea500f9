/**
 * Local HTTP servers speaking each LLM provider's real wire format. Point the platform's real SDKs at
 * them with `fakeProviderEnv(...)`; script answers per test with `script(...)`; read `requests`.
 *
 *   const openai = await startFakeOpenAI();
 *   const platform = await startPlatform({ env: fakeProviderEnv({ openai }) });
 *   openai.script({ status: 429, retryAfter: 1 }, { text: "ok" });   // a 429, then "ok" from then on
 */
import type { FakeProvider } from "./fake-server.ts";
import { startFakeOpenAI } from "./openai.ts";
import { startFakeAnthropic } from "./anthropic.ts";
import { startFakeGemini } from "./gemini.ts";

export { startFakeOpenAI, startFakeAnthropic, startFakeGemini };
export { estimateTokens, type FakeProvider, type FakeReply, type FakeRequest, type ScriptStep } from "./fake-server.ts";

/** The API key every fake accepts; the platform sends it, the fakes check one is present. */
export const FAKE_API_KEY = "test-key-not-secret";

/**
 * The environment that points the platform's providers at the given fakes. `compatible` is a fake
 * OpenAI server standing in for Ollama/vLLM/LM Studio; its models become OPENAI_COMPATIBLE_MODELS.
 */
export function fakeProviderEnv(fakes: { openai?: FakeProvider; anthropic?: FakeProvider; gemini?: FakeProvider; compatible?: FakeProvider; compatibleModels?: string[] }): Record<string, string> {
	const env: Record<string, string> = {};
	if (fakes.openai) Object.assign(env, { OPENAI_BASE_URL: fakes.openai.url, OPENAI_API_KEY: FAKE_API_KEY });
	if (fakes.anthropic) Object.assign(env, { ANTHROPIC_BASE_URL: fakes.anthropic.url, ANTHROPIC_API_KEY: FAKE_API_KEY });
	if (fakes.gemini) Object.assign(env, { GEMINI_BASE_URL: fakes.gemini.url, GEMINI_API_KEY: FAKE_API_KEY });
	if (fakes.compatible) {
		Object.assign(env, {
			OPENAI_COMPATIBLE_BASE_URL: fakes.compatible.url,
			OPENAI_COMPATIBLE_API_KEY: FAKE_API_KEY,
			OPENAI_COMPATIBLE_MODELS: (fakes.compatibleModels ?? ["llama3.2"]).join(","),
		});
	}
	return env;
}

/** Starts the three commercial fakes at once (OpenAI, Anthropic, Gemini); close them with `closeAll`. */
export async function startFakeProviders(): Promise<{ openai: FakeProvider; anthropic: FakeProvider; gemini: FakeProvider }> {
	const [openai, anthropic, gemini] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeGemini()]);
	return { openai, anthropic, gemini };
}

export async function closeAll(fakes: Record<string, FakeProvider | undefined>): Promise<void> {
	await Promise.all(Object.values(fakes).map(fake => fake?.close()));
}
