import type { Provider } from "../provider.ts";
import { chatCompletionsMethods } from "./chat-completions.ts";

/** OpenAI's chat completions (OPENAI_API_KEY, OPENAI_BASE_URL for proxies). */
export const openaiProvider: Provider = {
	name: "openai",
	supportsChat: true,
	priceSource: "openai",
	defaultModel: () => "gpt-4o-mini",
	/** The models listed to clients (/v1/models); any other model the catalog prices works too. */
	models: () => ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o4-mini"],
	isConfigured: config => Boolean(config.providers.openai.apiKey),
	...chatCompletionsMethods({ endpoint: config => config.providers.openai, maxTokensField: "max_completion_tokens" }),
};
