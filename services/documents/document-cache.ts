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
 * Forgets exactly what a change to one document makes stale: its own get and text entries, and
 * its owner's list pages (all of them: a new or removed document shifts every page).
 */
export async function forgetDocument(broker: ServiceBroker, userId: string, documentId: string): Promise<void> {
	const cacher = broker.cacher;
	if (!cacher) return;
	const ctx = { params: { id: documentId }, meta: { user: { id: userId } } } as never;
	const key = (action: string, keys: string[]) => cacher.getCacheKey({ name: action } as never, { keys }, ctx);
	const listPrefix = key("documents.list", ["#user.id"]);
	await Promise.all([
		cacher.del([key("documents.get", CACHE_KEYS.get), key("documents.text", CACHE_KEYS.text)]),
		cacher.clean(GLOB_CHARACTERS.test(userId) ? "documents.list:**" : `${listPrefix}|**`),
	]);
}
