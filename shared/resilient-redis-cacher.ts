import { Cachers } from "moleculer";

/**
 * Moleculer's Redis cacher, made safe for Redis outages: the cache only speeds reads up, so when
 * Redis is unreachable a read becomes a miss and a write is skipped, instead of a 5xx or an
 * unhandled rejection (the stock middleware fires `set` without awaiting it).
 */
export class ResilientRedisCacher extends Cachers.Redis {
	#warned = 0;

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
}
