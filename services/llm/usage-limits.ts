import type { Redis } from "ioredis";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { PlatformConfig } from "../../shared/config.ts";
import { paymentRequired, tooManyRequests } from "../../shared/errors.ts";
import { MemoryBudgetLedger, RedisBudgetLedger, type BudgetLedger } from "./budget-ledger.ts";
import type { CallStore } from "./call-store.ts";
import { reconnectWhenHanging, redisClientOptions } from "../../shared/redis-options.ts";

/** Settles a budget reservation at what the call really cost; call it once, when every call it covered is recorded. */
export type SettleBudget = (realUsd: number) => Promise<void>;

const NOTHING_TO_SETTLE: SettleBudget = async () => {};

const usd = (amount: number) => `$${amount.toFixed(amount < 0.01 ? 6 : 4)}`;

/**
 * Per-user limits, checked before any provider is called: requests per minute (shared by every node
 * through Redis in distributed mode, in memory otherwise) and the monthly USD budget, from which a
 * request reserves its worst-case cost before calling and settles to the real cost after.
 */
export class UsageLimits {
	readonly #config: PlatformConfig;
	readonly #store: CallStore;
	#limiter: RateLimiterAbstract | undefined;
	#redis: Redis | undefined;
	#ledger: BudgetLedger;

	constructor(config: PlatformConfig, store: CallStore) {
		this.#config = config;
		this.#store = store;
		this.#ledger = new MemoryBudgetLedger(Math.max(1_000, config.memoryBudgetMb * 20));
	}

	async start(): Promise<void> {
		if (this.#config.redisUrl) {
			const { Redis: RedisClient } = await import("ioredis");
			// Fail fast while Redis is down or hanging; the in-memory insurance limiter and ledger count meanwhile.
			this.#redis = new RedisClient({ ...redisClientOptions(this.#config), lazyConnect: true });
			this.#redis.on("error", () => {});
			// A hang costs one command timeout, not one per request for as long as it lasts (as the cacher's client).
			reconnectWhenHanging(this.#redis);
			await this.#redis.connect().catch(() => {});
			this.#ledger = new RedisBudgetLedger(this.#redis, `${this.#config.namespace}:llm-budget:`, this.#ledger as MemoryBudgetLedger);
		}
		const points = this.#config.llm.userRequestsPerMinute;
		if (points === 0) return;
		const { RateLimiterMemory, RateLimiterRedis } = await import("rate-limiter-flexible");
		const keyPrefix = `${this.#config.namespace}:llm-requests`;
		const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix });
		this.#limiter = this.#redis ? new RateLimiterRedis({ storeClient: this.#redis, points, duration: 60, keyPrefix, insuranceLimiter: memory }) : memory;
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

	/**
	 * Reserves `worstCaseUsd` of the user's monthly budget, atomically against every other request of
	 * theirs in flight (on any node); throws 402 when it does not fit. The answer settles it.
	 */
	async reserveBudget(userId: string, worstCaseUsd: number): Promise<SettleBudget> {
		const budget = this.#config.llm.userMonthlyBudgetUsd;
		if (budget === 0 || worstCaseUsd <= 0) return NOTHING_TO_SETTLE;
		const month = new Date().toISOString().slice(0, 7);
		const answer = await this.#ledger.reserve(`${userId}:${month}`, worstCaseUsd, budget, async () => (await this.#store.monthSpend(userId, true)).costUsd);
		if (answer.admitted && answer.settle) return answer.settle;
		const left = Math.max(0, budget - answer.totalUsd);
		const why =
			left <= 0
				? `is used up (${usd(answer.totalUsd)} spent or reserved by requests in progress in ${month}, UTC); it renews on the 1st`
				: `has ${usd(left)} left (with what requests in progress have reserved), and this request could cost up to ${usd(worstCaseUsd)} (its input and max_tokens at the model's prices); lower max_tokens or shorten the input`;
		throw paymentRequired(`Your monthly LLM budget of $${budget.toFixed(2)} ${why}, or use a free provider such as local`);
	}
}
