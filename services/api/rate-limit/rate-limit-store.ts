import type { ServiceBroker } from "moleculer";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { consumePoint, createLimiter } from "./redis-or-memory-limiter.ts";

interface RouteRateLimitOptions {
	/** Names the route's counters, so two routes never share one. */
	name: string;
	limit: number;
	window: number;
}

/**
 * moleculer-web's rate-limit store (`rateLimit.StoreFactory`), counting in Redis across nodes when
 * REDIS_URL is set, in this node's memory otherwise or while Redis is unreachable.
 */
export class SharedRateLimitStore {
	/** When the most recently counted key's window ends (ms since the epoch), for X-Rate-Limit-Reset. */
	resetTime: number;
	#limiter: RateLimiterAbstract;

	constructor(windowMs: number, options: RouteRateLimitOptions, broker: ServiceBroker) {
		this.#limiter = createLimiter(broker, { name: options.name, points: options.limit, durationSeconds: Math.ceil(windowMs / 1000) });
		this.resetTime = Date.now() + windowMs;
	}

	/** The caller's hit count in the current window (moleculer-web refuses once it passes the limit). */
	async inc(key: string): Promise<number> {
		const counted = await consumePoint(this.#limiter, key);
		if (!counted) return 0;
		this.resetTime = Date.now() + counted.msBeforeNext;
		return counted.consumedPoints;
	}
}
