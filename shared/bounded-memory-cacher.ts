import { Cachers } from "moleculer";
import { LRUCache } from "lru-cache";
import { newGeneration, type GenerationalCacher } from "./generational-cache.ts";

interface BoundedOptions {
	max: number;
	/** Total bytes the cached values may take (estimated from their JSON size). */
	maxBytes: number;
	ttl: number;
}

/** Bytes a cached value takes, about: its JSON length counted as UTF-16. */
function estimatedBytes(value: unknown): number {
	if (value === undefined) return 1;
	try {
		return Math.max(1, (JSON.stringify(value)?.length ?? 1) * 2);
	} catch {
		return 1024;
	}
}

/**
 * Moleculer's in-memory LRU cacher bounded by size as well as count: a cached document text can be
 * megabytes, so an entry count alone does not bound memory on a 512 MB instance. It keeps the
 * generations of shared/generational-cache.ts too (one process: no race between reading and creating one).
 */
export class BoundedMemoryCacher extends Cachers.MemoryLRU implements GenerationalCacher {
	/** Scope -> generation. An evicted one is replaced by a new one: its entries only become misses. */
	readonly #generations: LRUCache<string, string>;

	constructor(options: BoundedOptions) {
		super({ max: options.max, ttl: options.ttl, clone: false } as never);
		(this as unknown as { cache: LRUCache<string, object> }).cache = new LRUCache<string, object>({
			max: options.max,
			maxSize: options.maxBytes,
			// One value may take at most a tenth of the cache, so a huge answer cannot flush the rest.
			maxEntrySize: Math.floor(options.maxBytes / 10),
			sizeCalculation: estimatedBytes,
			ttl: options.ttl * 1000,
			updateAgeOnGet: true,
		});
		this.#generations = new LRUCache<string, string>({ max: options.max * 4 });
	}

	async generation(scope: string): Promise<string> {
		let generation = this.#generations.get(scope);
		if (generation === undefined) this.#generations.set(scope, (generation = newGeneration()));
		return generation;
	}

	async renewGenerations(scopes: string[]): Promise<void> {
		for (const scope of scopes) this.#generations.set(scope, newGeneration());
	}
}
