import type { Provider } from "../provider.ts";
import { chatCompletionsMethods } from "../openai/chat-completions.ts";

/**
 * Any server that speaks OpenAI's chat completions: Ollama, vLLM, LM Studio (OPENAI_COMPATIBLE_BASE_URL,
 * its models in OPENAI_COMPATIBLE_MODELS, a key only if the server wants one). Self-hosted, so free
 * unless LLM_PRICING says otherwise.
 */
export const openaiCompatibleProvider: Provider = {
	name: "openai-compatible",
	supportsChat: true,
	defaultModel: config => config.providers.openaiCompatible.models[0] ?? "default",
	models: config => config.providers.openaiCompatible.models,
	isConfigured: config => Boolean(config.providers.openaiCompatible.baseUrl) && config.providers.openaiCompatible.models.length > 0,
	...chatCompletionsMethods({ endpoint: config => config.providers.openaiCompatible, maxTokensField: "max_tokens" }),
};
