import type { LlmPrice, PlatformConfig } from "../../shared/config.ts";
import { priceOf } from "../llm/pricing.ts";
import { discoverProviders } from "../llm/providers/registry.ts";
import type { Provider } from "../llm/providers/provider.ts";

/**
 * USD per million tokens of a `provider` or `provider:model` entry, by the llm service's own price
 * rules (LLM_PRICING over each provider's list), so the optimizer's worst-case cost of a call is
 * computed from the same prices the llm service charges.
 */
export class ModelPrices {
	readonly #config: PlatformConfig;
	#providers: Promise<Map<string, Provider>> | undefined;

	constructor(config: PlatformConfig) {
		this.#config = config;
	}

	#load(): Promise<Map<string, Provider>> {
		this.#providers ??= discoverProviders().then(list => new Map(list.map(p => [p.name, p])));
		return this.#providers;
	}

	/** Throws for a provider the platform does not have: its calls could not be priced. */
	async of(entry: string): Promise<LlmPrice> {
		const colon = entry.indexOf(":");
		const name = colon < 0 ? entry : entry.slice(0, colon);
		const provider = (await this.#load()).get(name);
		if (!provider) throw new Error(`Unknown provider "${name}": its calls cannot be priced`);
		return priceOf(provider, colon < 0 ? provider.defaultModel(this.#config) : entry.slice(colon + 1), this.#config);
	}
}
