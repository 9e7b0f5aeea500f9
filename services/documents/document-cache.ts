import type { ServiceBroker } from "moleculer";

/** Cache keys of the cached reads: the owner is part of every key, so no user ever gets another's entry. */
export const CACHE_KEYS = {
	get: ["#user.id", "id"],
	text: ["#user.id", "id"],
	list: ["#user.id", "limit", "offset"],
};

/** Characters the Redis cacher's SCAN patterns would read as wildcards. */
const GLOB_CHARACTERS = /[*?[\]\\]/;

/**
 * A read that missed the cache and loaded the row just before a change can store its answer just
 * after the change's invalidation, where it would stay for the cache's whole TTL: under load a
 * finished document was seen "extracting" for good (bench/mixed-load.ts, split deployment). So
 * every invalidation is repeated once the reads in flight at the change have ended.
 */
const REPEAT_INVALIDATION_MS = 3_000;

/**
 * Forgets exactly what a change to one document makes stale: its own get and text entries, and
 * its owner's list pages (all of them: a new or removed document shifts every page). Now, and
 * again shortly after (see REPEAT_INVALIDATION_MS).
 */
export async function forgetDocument(broker: ServiceBroker, userId: string, documentId: string): Promise<void> {
	const cacher = broker.cacher;
	if (!cacher) return;
	const ctx = { params: { id: documentId }, meta: { user: { id: userId } } } as never;
	const key = (action: string, keys: string[]) => cacher.getCacheKey({ name: action } as never, { keys }, ctx);
	const listPrefix = key("documents.list", ["#user.id"]);
	const forget = () =>
		Promise.all([
			cacher.del([key("documents.get", CACHE_KEYS.get), key("documents.text", CACHE_KEYS.text)]),
			cacher.clean(GLOB_CHARACTERS.test(userId) ? "documents.list:**" : `${listPrefix}|**`),
		]);
	await forget();
	setTimeout(() => forget().catch(err => broker.logger.debug(`Repeating the cache invalidation of document ${documentId} failed: ${err.message}`)), REPEAT_INVALIDATION_MS).unref();
}
