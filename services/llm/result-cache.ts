import type { ServiceBroker } from "moleculer";
import type { CompleteResult } from "../../shared/contracts/llm.ts";

/** Key prefix of cached answers in the broker's cacher (memory LRU or Redis). */
export const RESULT_CACHE_PREFIX = "llm.result";
const TTL_SECONDS = 24 * 3600;

/** An answer as it is served again: marked cached, costing nothing. */
export function servedFromCache(result: CompleteResult): CompleteResult {
	return {
		...result,
		results: result.results.map(r => ({ ...r, cached: true, costUsd: 0, latencyMs: 0 })),
		costUsd: 0,
		cached: true,
	};
}

/**
 * Whole answers in Moleculer's cacher, per user (one user's prompts never answer another's).
 * An unreachable cache is a miss, never an error: it only speeds things up.
 */
export class ResultCache {
	readonly #broker: ServiceBroker;

	constructor(broker: ServiceBroker) {
		this.#broker = broker;
	}

	#key(userId: string | null, hash: string): string {
		return `${RESULT_CACHE_PREFIX}.${userId ?? "-"}.${hash}`;
	}

	async get(userId: string | null, hash: string): Promise<CompleteResult | undefined> {
		const cacher = this.#broker.cacher;
		if (!cacher) return undefined;
		try {
			return ((await cacher.get(this.#key(userId, hash))) as CompleteResult | null) ?? undefined;
		} catch {
			return undefined;
		}
	}

	async set(userId: string | null, hash: string, result: CompleteResult): Promise<void> {
		try {
			await this.#broker.cacher?.set(this.#key(userId, hash), result as never, TTL_SECONDS);
		} catch {
			// a cache that cannot be written only means the next identical request is answered again
		}
	}
}
