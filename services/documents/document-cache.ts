import type { ServiceBroker } from "moleculer";
import { cachedRead, invalidateScopes } from "../../shared/generational-cache.ts";

/**
 * The cached reads of documents (shared/generational-cache.ts): a document's get and text depend on
 * that document, a user's list pages on all of that user's documents. The owner is part of every
 * key, so no user ever gets another's entry, even for an id they guessed.
 */
const documentScope = (documentId: string) => `documents:document:${documentId}`;
const listScope = (userId: string) => `documents:list:${userId}`;

export const DocumentCache = {
	get<T>(broker: ServiceBroker, userId: string, documentId: string, load: () => Promise<T>): Promise<T> {
		return cachedRead(broker, `documents.get:${userId}:${documentId}`, [documentScope(documentId)], load);
	},

	text<T>(broker: ServiceBroker, userId: string, documentId: string, load: () => Promise<T>): Promise<T> {
		return cachedRead(broker, `documents.text:${userId}:${documentId}`, [documentScope(documentId)], load);
	},

	list<T>(broker: ServiceBroker, userId: string, page: { limit: number; offset: number }, load: () => Promise<T>): Promise<T> {
		return cachedRead(broker, `documents.list:${userId}:${page.limit}:${page.offset}`, [listScope(userId)], load);
	},

	/** After a committed change to one document: its own reads and its owner's list pages (a new or removed document shifts every page). */
	forget(broker: ServiceBroker, userId: string, documentId: string): Promise<void> {
		return invalidateScopes(broker, [documentScope(documentId), listScope(userId)]);
	},
};
