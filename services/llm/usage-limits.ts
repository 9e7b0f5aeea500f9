import type { Redis } from "ioredis";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { PlatformConfig } from "../../shared/config.ts";
import { paymentRequired, tooManyRequests } from "../../shared/errors.ts";
import type { CallStore } from "./call-store.ts";
import { redisClientOptions } from "../../shared/redis-options.ts";

/**
 * Per-user limits, checked before any provider is called: requests per minute (shared by every node
 * through Redis in distributed mode, in memory otherwise) and the monthly USD budget.
 */
export class UsageLimits {
	readonly #config: PlatformConfig;
	readonly #store: CallStore;
	#limiter: RateLimiterAbstract | undefined;
	#redis: Redis | undefined;

	constructor(config: PlatformConfig, store: CallStore) {
		this.#config = config;
		this.#store = store;
	}

	async start(): Promise<void> {
		const points = this.#config.llm.userRequestsPerMinute;
		if (points === 0) return;
		const { RateLimiterMemory, RateLimiterRedis } = await import("rate-limiter-flexible");
		const keyPrefix = `${this.#config.namespace}:llm-requests`;
		const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix });
		if (!this.#config.redisUrl) {
			this.#limiter = memory;
			return;
		}
		const { Redis: RedisClient } = await import("ioredis");
		// Fail fast while Redis is down or hanging; the in-memory insurance limiter counts meanwhile.
		this.#redis = new RedisClient({ ...redisClientOptions(this.#config), lazyConnect: true });
		this.#redis.on("error", () => {});
		await this.#redis.connect().catch(() => {});
		this.#limiter = new RateLimiterRedis({ storeClient: this.#redis, points, duration: 60, keyPrefix, insuranceLimiter: memory });
	}

	async stop(): Promise<void> {
		this.#redis?.disconnect();
	}

	/** Counts one request; throws 429 past the per-minute limit. */
	async countRequest(userId: string): Promise<void> {
		if (!this.#limiter) return;
		try {
			await this.#limiter.consume(userId);
		} catch (rejection) {
			if (rejection instanceof Error) throw rejection;
			const seconds = Math.max(1, Math.ceil((rejection as { msBeforeNext: number }).msBeforeNext / 1000));
			throw tooManyRequests(
				`Too many LLM requests: the limit is ${this.#config.llm.userRequestsPerMinute} a minute per user; try again in ${seconds} s`,
				seconds
			);
		}
	}

	/** Throws 402 when the user's monthly budget is used up. */
	async checkBudget(userId: string): Promise<void> {
		const budget = this.#config.llm.userMonthlyBudgetUsd;
		if (budget === 0) return;
		const spent = await this.#store.monthSpend(userId);
		if (spent.costUsd >= budget) {
			throw paymentRequired(
				`Your monthly LLM budget of $${budget.toFixed(2)} is used up ($${spent.costUsd.toFixed(4)} spent in ${spent.month}, UTC); it renews on the 1st, or use a free provider such as local`
			);
		}
	}
}
