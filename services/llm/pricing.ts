import type { LlmPrice, PlatformConfig } from "../../shared/config.ts";
import type { Usage } from "../../shared/contracts/llm.ts";
import type { Provider } from "./providers/provider.ts";

const FREE: LlmPrice = { input: 0, output: 0 };

/**
 * USD per million tokens of one model: LLM_PRICING first, then the provider's own list. A model the
 * list does not know costs what the provider's default model costs, so unknown models are never free
 * by accident; a provider without a list (the offline analyzer, self-hosted servers) is free.
 */
export function priceOf(provider: Provider, model: string, config: PlatformConfig): LlmPrice {
	const overrides = config.llm.pricing;
	const defaultModel = provider.defaultModel(config);
	return (
		overrides[`${provider.name}:${model}`] ??
		provider.prices?.[model] ??
		overrides[`${provider.name}:${defaultModel}`] ??
		provider.prices?.[defaultModel] ??
		FREE
	);
}

export function costUsd(price: LlmPrice, usage: Usage): number {
	return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}

/** Sum of usages. */
export function addUsage(a: Usage, b: Usage): Usage {
	return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

/** Providers that report no usage (some OpenAI-compatible servers when streaming) are charged by estimate. */
export function estimateTokens(text: string): number {
	return Math.ceil(text.length / 4);
}
