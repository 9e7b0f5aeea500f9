import type { Redis } from "ioredis";
import { Cachers, type ServiceBroker } from "moleculer";
import { reconnectWhenHanging } from "./redis-options.ts";
import { newGeneration, type GenerationalCacher } from "./generational-cache.ts";

/** Longer than any entry lives (the cacher's TTL is an hour): a generation that expires only turns hits into misses. */
const GENERATION_TTL_SECONDS = 2 * 24 * 3600;
/** Renewals kept for after an outage; beyond this the whole cache is emptied once Redis is back. */
const MAX_UNRENEWED = 10_000;

/**
 * Moleculer's Redis cacher, made safe for Redis outages: the cache only speeds reads up, so when
 * Redis is unreachable a read becomes a miss and a write is skipped, instead of a 5xx or an
 * unhandled rejection (the stock middleware fires `set` without awaiting it). It keeps the
 * generations of shared/generational-cache.ts in Redis, shared by every node.
 */
export class ResilientRedisCacher extends Cachers.Redis implements GenerationalCacher {
	#warned = 0;
	/** Scopes whose renewal failed while Redis was unreachable: renewed as soon as it is back, or its entries could be stale. */
	readonly #unrenewed = new Set<string>();
	/** More renewals were missed than kept: every entry goes once Redis is back. */
	#cleanAll = false;

	#degraded(operation: string, err: unknown): void {
		// One line per ten seconds is enough to see an outage without flooding the log.
		const now = Date.now();
		if (now - this.#warned > 10_000) {
			this.#warned = now;
			this.logger.warn(`Redis cacher ${operation} failed, serving without cache: ${(err as Error).message}`);
		}
	}

	override get(key: string): Promise<Record<string, unknown> | null> {
		return super.get(key).catch((err: unknown) => {
			this.#degraded("get", err);
			return (this.opts as { missingResponse?: unknown }).missingResponse as null;
		});
	}

	override getWithTTL(key: string): Promise<Record<string, unknown> | null> {
		return super.getWithTTL(key).catch((err: unknown) => {
			this.#degraded("getWithTTL", err);
			return { data: (this.opts as { missingResponse?: unknown }).missingResponse, ttl: null } as never;
		});
	}

	override set(key: string, data: unknown, ttl?: number): Promise<void> {
		return super.set(key, data as never, ttl).catch((err: unknown) => this.#degraded("set", err));
	}

	override del(key: string | string[]): Promise<void> {
		return super.del(key).catch((err: unknown) => this.#degraded("del", err));
	}

	override clean(match?: string | string[]): Promise<void> {
		return super.clean(match as never).catch((err: unknown) => this.#degraded("clean", err));
	}

	override init(broker: ServiceBroker): void {
		super.init(broker);
		// The rate limits and the session denylist share this connection: a hang is noticed for all of them.
		reconnectWhenHanging(this.#redis, () => this.logger.warn("Redis stopped answering: reconnecting, serving without cache meanwhile"));
	}

	/**
	 * QUIT needs a connection: on a client still trying to reach Redis it fails and the client goes on
	 * reconnecting (and logging) after the broker has stopped. Such a client is simply dropped.
	 */
	override async close(): Promise<void> {
		if (this.#redis?.status === "ready") return super.close();
		await super.close().catch(() => {});
		this.#redis?.disconnect();
	}

	get #redis(): Redis {
		return (this as unknown as { client: Redis }).client;
	}

	#generationKey(scope: string): string {
		return `${this.prefix}generation:${scope}`;
	}

	async generation(scope: string): Promise<string | undefined> {
		// A scope renewed during an outage must not serve its old entries; skip the cache until it is.
		if ((this.#cleanAll || this.#unrenewed.size > 0) && !(await this.#renewPending())) return undefined;
		const key = this.#generationKey(scope);
		try {
			// Create one only when there is none (NX), then read whichever exists: one round trip.
			const replies = await this.#redis.multi().set(key, newGeneration(), "EX", GENERATION_TTL_SECONDS, "NX").get(key).exec();
			const generation = replies?.[1]?.[1];
			return typeof generation === "string" ? generation : undefined;
		} catch (err) {
			this.#degraded("generation", err);
			return undefined;
		}
	}

	async renewGenerations(scopes: string[]): Promise<void> {
		for (const scope of scopes) this.#unrenewed.add(scope);
		if (this.#unrenewed.size > MAX_UNRENEWED) {
			this.#unrenewed.clear();
			this.#cleanAll = true;
		}
		await this.#renewPending();
	}

	/** Renews every scope waiting for it; true when none is left waiting. */
	async #renewPending(): Promise<boolean> {
		const scopes = [...this.#unrenewed];
		try {
			if (this.#cleanAll) {
				// super.clean, not this.clean: its failure must be seen here, not turned into a warning.
				await super.clean();
				this.#cleanAll = false;
				return this.#unrenewed.size === 0;
			}
			const pipeline = this.#redis.multi();
			for (const scope of scopes) pipeline.set(this.#generationKey(scope), newGeneration(), "EX", GENERATION_TTL_SECONDS);
			await pipeline.exec();
			for (const scope of scopes) this.#unrenewed.delete(scope);
			return this.#unrenewed.size === 0;
		} catch (err) {
			this.#degraded("renewing generations", err);
			return false;
		}
	}
}
