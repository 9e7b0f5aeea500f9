import type { Redis } from "ioredis";
import type { Logger } from "moleculer";
import { LRUCache } from "lru-cache";

/**
 * Signed-out sessions whose access tokens must stop working before they expire. Each entry lives
 * only as long as the longest access token it can stop. Kept in Redis when the platform has one,
 * so every node sees a sign-out at once, and always in this node's memory too, so the node that
 * signed a session out keeps refusing its tokens even while Redis is unreachable.
 */
export class SessionDenylist {
	#local: LRUCache<string, true>;
	#redis?: Redis;
	#prefix: string;
	#logger: Logger;
	#warnedAt = 0;

	constructor(options: { redis?: Redis; namespace: string; maxLocalEntries: number; logger: Logger }) {
		this.#local = new LRUCache({ max: options.maxLocalEntries });
		this.#redis = options.redis;
		this.#prefix = `${options.namespace}:auth:signed-out:`;
		this.#logger = options.logger;
	}

	async add(sessionId: string, ttlSeconds: number): Promise<void> {
		const ttl = Math.max(1, Math.ceil(ttlSeconds));
		this.#local.set(sessionId, true, { ttl: ttl * 1000 });
		if (!this.#redis) return;
		try {
			await this.#redis.set(this.#prefix + sessionId, "1", "EX", ttl);
		} catch (err) {
			this.#degraded(err);
		}
	}

	async has(sessionId: string): Promise<boolean> {
		if (this.#local.has(sessionId)) return true;
		if (!this.#redis) return false;
		try {
			return (await this.#redis.exists(this.#prefix + sessionId)) === 1;
		} catch (err) {
			this.#degraded(err);
			return false;
		}
	}

	#degraded(err: unknown): void {
		if (Date.now() - this.#warnedAt < 10_000) return;
		this.#warnedAt = Date.now();
		this.#logger.warn(`Session denylist: Redis unreachable, using this node's memory only: ${(err as Error).message}`);
	}
}
