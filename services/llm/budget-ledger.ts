import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";

/**
 * Per user and month: what was spent plus what calls in flight have reserved. A reservation is
 * admitted only when it fits under the budget, checked and added in one atomic step, so calls sent
 * in parallel can together spend at most the budget (given that each stays within what it reserved).
 */
export interface BudgetLedger {
	/**
	 * Adds `amountUsd` to the month's total when the total stays within `budgetUsd`; answers whether
	 * it did, the total before, and (when admitted) how to settle. `spentFromRecords` is asked when
	 * the ledger does not know the month yet.
	 */
	reserve(key: string, amountUsd: number, budgetUsd: number, spentFromRecords: () => Promise<number>): Promise<LedgerAnswer>;
}

export interface LedgerAnswer {
	admitted: boolean;
	totalUsd: number;
	/** Replaces the reservation by the real cost (adds `realUsd - amountUsd`); call it once. */
	settle?: (realUsd: number) => Promise<void>;
}

/**
 * A month's total is read from the call records once, then kept here; one left idle this long is
 * read again, which also heals any drift (a settlement lost to a crash).
 */
const IDLE_RESYNC_MS = 10 * 60 * 1000;

interface MemoryEntry {
	totalUsd: number;
	inFlight: number;
}

/**
 * Embedded mode: this process is the only llm node, so its memory is authoritative once loaded; the
 * check and the addition happen in one synchronous step, which nothing can interleave.
 */
export class MemoryBudgetLedger implements BudgetLedger {
	readonly #entries: LRUCache<string, MemoryEntry>;
	readonly #loading = new Map<string, Promise<MemoryEntry>>();

	constructor(maxUsers: number) {
		// Sized for far more users with calls in flight than one node serves at once: an entry dropped
		// meanwhile would forget its reservations until read again.
		this.#entries = new LRUCache<string, MemoryEntry>({ max: maxUsers, ttl: IDLE_RESYNC_MS });
	}

	async #entry(key: string, spentFromRecords: () => Promise<number>): Promise<MemoryEntry> {
		const known = this.#entries.get(key);
		if (known) return known;
		let loading = this.#loading.get(key);
		if (!loading) {
			loading = spentFromRecords()
				.then(totalUsd => {
					const entry = this.#entries.get(key) ?? { totalUsd, inFlight: 0 };
					this.#entries.set(key, entry);
					return entry;
				})
				.finally(() => this.#loading.delete(key));
			this.#loading.set(key, loading);
		}
		return loading;
	}

	async reserve(key: string, amountUsd: number, budgetUsd: number, spentFromRecords: () => Promise<number>): Promise<LedgerAnswer> {
		const entry = await this.#entry(key, spentFromRecords);
		const totalUsd = entry.totalUsd;
		if (totalUsd + amountUsd > budgetUsd) return { admitted: false, totalUsd };
		entry.totalUsd += amountUsd;
		entry.inFlight += 1;
		// No expiry while a call holds a reservation in it; idle again, it is read afresh after a while.
		this.#entries.set(key, entry, { ttl: 0 });
		const settle = async (realUsd: number) => {
			entry.totalUsd += realUsd - amountUsd;
			entry.inFlight -= 1;
			if (entry.inFlight <= 0) this.#entries.set(key, entry, { ttl: IDLE_RESYNC_MS });
		};
		return { admitted: true, totalUsd, settle };
	}
}

/**
 * Reserves when the month is known and the amount fits. The month is `null` (answer -1) until
 * someone passes its total from the records (ARGV[4]); numbers stay strings so no precision is lost.
 */
const RESERVE_SCRIPT = `
local total = redis.call('GET', KEYS[1])
if not total then
  if ARGV[4] == '' then return {-1, '0'} end
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[3], 'NX')
  total = redis.call('GET', KEYS[1])
end
if tonumber(total) + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {0, total} end
redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, total}`;

/** A month that expired meanwhile is not brought back with only a correction in it. */
const SETTLE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1`;

/**
 * Distributed mode: the total lives in Redis and a Lua script checks and adds in one step, so every
 * llm node admits against the same figure. While Redis is unreachable this node reserves in its own
 * memory instead (limits loosen to per-node ones; requests do not fail).
 */
export class RedisBudgetLedger implements BudgetLedger {
	readonly #redis: Redis;
	readonly #prefix: string;
	readonly #fallback: MemoryBudgetLedger;

	constructor(redis: Redis, prefix: string, fallback: MemoryBudgetLedger) {
		this.#redis = redis;
		this.#prefix = prefix;
		this.#fallback = fallback;
	}

	async reserve(key: string, amountUsd: number, budgetUsd: number, spentFromRecords: () => Promise<number>): Promise<LedgerAnswer> {
		const redisKey = this.#prefix + key;
		const ttl = String(IDLE_RESYNC_MS / 1000);
		let answer: [number, string];
		try {
			const run = (initial: string) => this.#redis.eval(RESERVE_SCRIPT, 1, redisKey, String(amountUsd), String(budgetUsd), ttl, initial) as Promise<[number, string]>;
			answer = await run("");
			if (answer[0] === -1) answer = await run(String(await spentFromRecords()));
		} catch {
			return this.#fallback.reserve(key, amountUsd, budgetUsd, spentFromRecords);
		}
		const [status, total] = answer;
		if (status !== 1) return { admitted: false, totalUsd: Number(total) };
		const settle = async (realUsd: number) => {
			// Lost while Redis is down: the month's total errs high until it is read again from the records.
			await this.#redis.eval(SETTLE_SCRIPT, 1, redisKey, String(realUsd - amountUsd), ttl).catch(() => {});
		};
		return { admitted: true, totalUsd: Number(total), settle };
	}
}
