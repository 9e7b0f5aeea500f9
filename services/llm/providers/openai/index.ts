import type { Provider } from "../provider.ts";
import { chatCompletionsMethods } from "./chat-completions.ts";

/** OpenAI's chat completions (OPENAI_API_KEY, OPENAI_BASE_URL for proxies). */
export const openaiProvider: Provider = {
	name: "openai",
	supportsChat: true,
	prices: {
		"gpt-4o-mini": { input: 0.15, output: 0.6 },
		"gpt-4o": { input: 2.5, output: 10 },
		"gpt-4.1": { input: 2, output: 8 },
		"gpt-4.1-mini": { input: 0.4, output: 1.6 },
		"gpt-4.1-nano": { input: 0.1, output: 0.4 },
		"o4-mini": { input: 1.1, output: 4.4 },
	},
	defaultModel: () => "gpt-4o-mini",
	models() {
		return Object.keys(this.prices!);
	},
	isConfigured: config => Boolean(config.providers.openai.apiKey),
	...chatCompletionsMethods({ endpoint: config => config.providers.openai, maxTokensField: "max_completion_tokens" }),
};
