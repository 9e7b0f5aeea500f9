import type { ServiceBroker } from "moleculer";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { platformConfig } from "../../../shared/platform.ts";

export interface LimiterOptions {
	/** What is limited, in the Redis key: `<namespace>:rate-limit:<name>:<client key>`. */
	name: string;
	points: number;
	durationSeconds: number;
	/** Once over the limit, refuse for this long (defaults to the rest of the window). */
	blockSeconds?: number;
}

/**
 * The Redis connection the broker's cacher already holds (distributed mode), so limits and
 * denylists need no connection of their own. Undefined without REDIS_URL.
 */
export function brokerRedis(broker: ServiceBroker): Redis | undefined {
	if (!platformConfig(broker).redisUrl) return undefined;
	return (broker.cacher as unknown as { client?: Redis } | null)?.client;
}

/**
 * A fixed-window counter shared by every node through Redis when REDIS_URL is set. While Redis is
 * unreachable it falls back to this node's own memory (rate-limiter-flexible's insurance limiter),
 * so an outage loosens limits to per-node ones instead of failing requests.
 */
export function createLimiter(broker: ServiceBroker, options: LimiterOptions): RateLimiterAbstract {
	const base = { points: options.points, duration: options.durationSeconds, blockDuration: options.blockSeconds ?? 0 };
	const memory = new RateLimiterMemory({ ...base, keyPrefix: options.name });
	const redis = brokerRedis(broker);
	if (!redis) return memory;
	return new RateLimiterRedis({
		...base,
		storeClient: redis,
		keyPrefix: `${platformConfig(broker).namespace}:rate-limit:${options.name}`,
		rejectIfRedisNotReady: true,
		insuranceLimiter: memory,
	});
}

/**
 * Counts one hit and reports the counter, whether or not the limit is exceeded (the limiter
 * rejects with the same figures in that case). A limiter that cannot count at all lets the hit through.
 */
export async function consumePoint(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes | undefined> {
	try {
		return await limiter.consume(key);
	} catch (err) {
		if (err instanceof RateLimiterRes) return err;
		return undefined;
	}
}
