import type { ServiceBroker } from "moleculer";
import { LRUCache } from "lru-cache";
import type { LlmPrice } from "../../shared/config.ts";

/** Prices change with a deploy, not during a study: ask the llm service at most this often per model. */
const PRICE_TTL_MS = 10 * 60 * 1000;

/**
 * USD per million tokens of a `provider` or `provider:model` entry, asked of the llm service
 * (`llm.price`), the one owner of provider and price knowledge: the optimizer's worst-case cost of a
 * call is computed from the very prices the llm service charges (LLM_PRICING over the maintained
 * catalog). A model that cannot be priced is the llm service's 422.
 */
export class ModelPrices {
	readonly #broker: ServiceBroker;
	readonly #known = new LRUCache<string, LlmPrice>({ max: 1_000, ttl: PRICE_TTL_MS });

	constructor(broker: ServiceBroker) {
		this.#broker = broker;
	}

	async of(entry: string): Promise<LlmPrice> {
		const known = this.#known.get(entry);
		if (known) return known;
		const price = await this.#broker.call<LlmPrice, { model: string }>("llm.price", { model: entry });
		this.#known.set(entry, price);
		return price;
	}
}
