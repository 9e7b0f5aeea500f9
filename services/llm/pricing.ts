import { createRequire } from "node:module";
import type { LlmPrice, PlatformConfig } from "../../shared/config.ts";
import type { Usage } from "../../shared/contracts/llm.ts";
import { invalidInput } from "../../shared/errors.ts";
import type { Provider } from "./providers/provider.ts";

type GenaiPrices = typeof import("@pydantic/genai-prices");
type ModelPrice = NonNullable<ReturnType<GenaiPrices["calcPrice"]>>["model_price"];

const FREE: LlmPrice = { input: 0, output: 0 };

let catalog: GenaiPrices | undefined;
/**
 * @pydantic/genai-prices, the maintained price list (about 0.5 MB of data), loaded on the first price a
 * paid provider needs, not at start. Only its bundled data is used: nothing calls its updatePrices(),
 * the one function that would fetch newer prices over the network.
 */
function genaiPrices(): GenaiPrices {
	catalog ??= createRequire(import.meta.url)("@pydantic/genai-prices") as GenaiPrices;
	return catalog;
}

/** Ways one model is named: as given, without Gemini's `models/` prefix, without a date suffix (`-2024-08-06`, `-20240307`). */
export function modelIdCandidates(model: string): string[] {
	const bare = model.trim().replace(/^models\//, "");
	const undated = bare.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, "");
	return [...new Set([model, bare, undated])];
}

const perMillion = (value: ModelPrice[string]): { base: number; top?: { start: number; price: number } } => {
	if (typeof value === "number") return { base: value };
	if (!value) return { base: 0 };
	const top = value.tiers.reduce<{ start: number; price: number } | undefined>((a, t) => (!a || t.start > a.start ? t : a), undefined);
	return { base: value.base, top };
};

/** The catalog's price of a model, as USD per million tokens; a long-context tier (Gemini's above 200k input tokens) as `above`. */
function catalogPrice(providerId: string, model: string): LlmPrice | undefined {
	const prices = genaiPrices();
	for (const id of modelIdCandidates(model)) {
		const found = prices.calcPrice({ input_tokens: 0, output_tokens: 0 }, id, { providerId });
		if (!found) continue;
		const input = perMillion(found.model_price.input_mtok);
		const output = perMillion(found.model_price.output_mtok);
		const tierStart = input.top?.start ?? output.top?.start;
		return {
			input: input.base,
			output: output.base,
			...(tierStart !== undefined ? { above: { inputTokens: tierStart, input: input.top?.price ?? input.base, output: output.top?.price ?? output.base } } : {}),
		};
	}
	return undefined;
}

/**
 * USD per million tokens of one model: LLM_PRICING first, then the maintained catalog for providers
 * that charge (dated ids and `models/` prefixes normalised). A paid provider's model that neither
 * knows is refused (422), never charged as some cheaper model; a provider without a price source
 * (the offline analyzer, self-hosted servers) is free unless LLM_PRICING prices it.
 */
export function priceOf(provider: Provider, model: string, config: PlatformConfig): LlmPrice {
	const overrides = config.llm.pricing;
	for (const id of modelIdCandidates(model)) {
		const override = overrides[`${provider.name}:${id}`];
		if (override) return override;
	}
	if (!provider.priceSource) return FREE;
	const price = catalogPrice(provider.priceSource, model);
	if (price) return price;
	throw invalidInput(
		`No price is known for ${provider.name}:${model}, so its cost could not be counted against budgets; set it in LLM_PRICING, e.g. {"${provider.name}:${model}":{"input":1.0,"output":4.0}} (USD per million tokens)`
	);
}

export function isFree(price: LlmPrice): boolean {
	return price.input === 0 && price.output === 0;
}

export function costUsd(price: LlmPrice, usage: Usage): number {
	// A long-context tier prices the whole call once its input passes the tier's start.
	const rates = price.above && usage.inputTokens > price.above.inputTokens ? price.above : price;
	return (usage.inputTokens * rates.input + usage.outputTokens * rates.output) / 1_000_000;
}

/** Sum of usages. */
export function addUsage(a: Usage, b: Usage): Usage {
	return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

/** Providers that report no usage (some OpenAI-compatible servers when streaming) are charged by estimate. */
export function estimateTokens(text: string): number {
	return Math.ceil(text.length / 4);
}
