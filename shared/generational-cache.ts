import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";

/**
 * Cache entries that a change can never leave stale, whatever the timing.
 *
 * Deleting entries on a change loses a race: a read that missed the cache and loaded the row just
 * before the change stores its (old) answer just after the deletion, where it stays for the whole
 * TTL (seen under load: a finished document shown "extracting" for good). Here every entry is
 * filed under the current generation of the scopes it depends on (a document, a user's list), and a
 * change gives those scopes a new generation instead of deleting anything. A read takes the
 * generations BEFORE it loads, so whatever it stores after a change is filed under a generation no
 * later read asks for. Old entries simply age out (TTL, LRU). It also makes invalidation one write
 * per scope instead of a key-pattern scan.
 */
export interface GenerationalCacher {
	/** The scope's current generation (created when it has none); undefined when the store is unreachable. */
	generation(scope: string): Promise<string | undefined>;
	/** New generations for these scopes: every entry filed under the old ones is out of reach. */
	renewGenerations(scopes: string[]): Promise<void>;
	get(key: string): Promise<unknown>;
	set(key: string, value: unknown, ttl?: number): Promise<unknown>;
}

/** A generation is random, not a counter: one lost (evicted, expired) can never come back as an old number. */
export const newGeneration = (): string => crypto.randomBytes(6).toString("base64url");

function generationalCacher(broker: ServiceBroker): GenerationalCacher | undefined {
	const cacher = broker.cacher as unknown as Partial<GenerationalCacher> | null;
	return typeof cacher?.generation === "function" ? (cacher as GenerationalCacher) : undefined;
}

/**
 * `load()`'s answer, from the cache when an entry for `key` exists under the scopes' current
 * generations. Errors are never cached; without a cacher, or while it is unreachable, every read loads.
 */
export async function cachedRead<T>(broker: ServiceBroker, key: string, scopes: string[], load: () => Promise<T>): Promise<T> {
	const cacher = generationalCacher(broker);
	if (!cacher) return load();
	const generations = await Promise.all(scopes.map(scope => cacher.generation(scope)));
	if (generations.some(generation => generation === undefined)) return load();
	const fullKey = `${key}@${generations.join(".")}`;
	const hit = await cacher.get(fullKey);
	if (hit !== undefined && hit !== null) return hit as T;
	const value = await load();
	await cacher.set(fullKey, value);
	return value;
}

/** Makes every entry that depends on one of `scopes` unreachable; call it after the change is committed. */
export async function invalidateScopes(broker: ServiceBroker, scopes: string[]): Promise<void> {
	await generationalCacher(broker)?.renewGenerations(scopes);
}
