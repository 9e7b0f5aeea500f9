import type { Redis } from "ioredis";
import type { Logger } from "moleculer";

/** A signed-out session and when its last access token expires (ms since the epoch). */
export interface Revocation {
	sessionId: string;
	expiresAt: number;
}

/**
 * The fast check behind every signed-in request: the sessions signed out whose access tokens could
 * still be valid, held in this node's memory and copied to Redis when the platform has one. Only a
 * cache of the database's revocations (see revoked-sessions.ts), which fill it at start, on other
 * nodes' sign-out notices and by catching up; so Redis losing keys (eviction under allkeys-lru, a
 * restart without persistence) or being unreachable stops nothing.
 *
 * Memory holds up to `maxLocalEntries`; past that it is incomplete until the entries it could not
 * hold have expired, and a session it does not hold is looked up in Redis, and if Redis cannot say,
 * `has` answers "unknown" so the caller asks the database.
 */
export class SessionDenylist {
	readonly #local = new Map<string, number>();
	readonly #maxLocalEntries: number;
	readonly #redis?: Redis;
	readonly #prefix: string;
	readonly #logger: Logger;
	/** Until then some revocation is not held in memory. */
	#incompleteUntil = 0;
	#warnedAt = 0;

	constructor(options: { redis?: Redis; namespace: string; maxLocalEntries: number; logger: Logger }) {
		this.#maxLocalEntries = options.maxLocalEntries;
		this.#redis = options.redis;
		this.#prefix = `${options.namespace}:auth:signed-out:`;
		this.#logger = options.logger;
	}

	get size(): number {
		return this.#local.size;
	}

	/** Holds revocations in this node's memory (an entry lives until its tokens expire). */
	remember(revocations: Iterable<Revocation>): void {
		const now = Date.now();
		for (const { sessionId, expiresAt } of revocations) {
			if (expiresAt <= now) continue;
			const held = this.#local.get(sessionId);
			if (held !== undefined) {
				this.#local.set(sessionId, Math.max(held, expiresAt));
				continue;
			}
			if (this.#local.size >= this.#maxLocalEntries) this.sweep();
			if (this.#local.size >= this.#maxLocalEntries) {
				this.#incompleteUntil = Math.max(this.#incompleteUntil, expiresAt);
				continue;
			}
			this.#local.set(sessionId, expiresAt);
		}
	}

	/** Copies revocations to Redis, each key expiring with its tokens. Never throws: Redis is only a cache. */
	async share(revocations: Revocation[]): Promise<void> {
		const redis = this.#redis;
		if (!redis || revocations.length === 0) return;
		try {
			const now = Date.now();
			const pipeline = redis.pipeline();
			for (const { sessionId, expiresAt } of revocations) {
				if (expiresAt > now) pipeline.set(this.#prefix + sessionId, "1", "PX", expiresAt - now);
			}
			const results = (await pipeline.exec()) ?? [];
			const failed = results.find(([err]) => err);
			if (failed) throw failed[0];
		} catch (err) {
			this.#degraded(err);
		}
	}

	/**
	 * True when revoked, false when not, undefined when this node cannot tell (memory incomplete and
	 * Redis silent). While memory is complete the answer costs no I/O: every signed-in request
	 * passes here, and a slow or hanging Redis must not slow them.
	 */
	async has(sessionId: string): Promise<boolean | undefined> {
		const expiresAt = this.#local.get(sessionId);
		if (expiresAt !== undefined) {
			if (expiresAt > Date.now()) return true;
			this.#local.delete(sessionId);
		}
		if (Date.now() >= this.#incompleteUntil) return false;
		// Skipped while the connection is down, so an outage costs no time (the client queues nothing offline).
		if (this.#redis?.status === "ready") {
			try {
				if ((await this.#redis.exists(this.#prefix + sessionId)) === 1) return true;
			} catch (err) {
				this.#degraded(err);
			}
		}
		return undefined;
	}

	/** Drops entries whose tokens have all expired. */
	sweep(): void {
		const now = Date.now();
		for (const [sessionId, expiresAt] of this.#local) if (expiresAt <= now) this.#local.delete(sessionId);
	}

	#degraded(err: unknown): void {
		if (Date.now() - this.#warnedAt < 10_000) return;
		this.#warnedAt = Date.now();
		this.#logger.warn(`Session denylist: Redis unreachable, relying on this node's memory and the database: ${(err as Error).message}`);
	}
}
