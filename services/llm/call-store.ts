import crypto from "node:crypto";
import { LRUCache } from "lru-cache";
import type { Logger } from "moleculer";
import type { Sequelize } from "sequelize";
import { isDatabaseUnreachable } from "../../shared/errors.ts";
import type { Usage } from "../../shared/contracts/llm.ts";
import type { LlmCallRow, LlmModels } from "./models.ts";

export interface CallRecord {
	userId: string | null;
	provider: string;
	model: string;
	paramsHash: string;
	status: "ok" | "error" | "cached";
	errorType?: string;
	usage: Usage;
	costUsd: number;
	latencyMs: number;
	output?: string;
	data?: unknown;
	finishReason?: string;
}

/** Rows written per flush; a flush starts at this many waiting, or after FLUSH_INTERVAL_MS. */
const BATCH_SIZE = 200;
const FLUSH_INTERVAL_MS = 50;
/** Records kept while the database is unreachable; beyond this the oldest are dropped (and logged). */
const MAX_PENDING = 20_000;
/**
 * How long a user's committed monthly spend is taken from memory before it is read again. This node's
 * own calls are added as they happen; other nodes' show up within this time.
 */
const SPEND_REFRESH_MS = 5_000;
const SPEND_CACHE_USERS = 10_000;

const monthOf = (date: Date) => date.toISOString().slice(0, 7);

type PendingRecord = CallRecord & { createdAt: Date };

/**
 * The database cannot take the records now (down, restarting, a connection gone bad, busy or full):
 * try them again later. Anything else is the database refusing what a record holds.
 */
const isWorthRetryingLater = (err: unknown): boolean =>
	isDatabaseUnreachable(err) || /^Sequelize(InvalidConnection|Timeout)Error$/.test((err as Error)?.name ?? "") || /SQLITE_BUSY|SQLITE_LOCKED|SQLITE_IOERR|SQLITE_FULL/.test((err as Error)?.message ?? "");

/**
 * Stores every call. Writes happen behind the answer, in batches (one transaction per batch), so a
 * call costs the caller no database round trip; spend not yet written is counted from memory, so a
 * budget check never misses it on this node.
 */
export class CallStore {
	readonly #sequelize: Sequelize;
	readonly #models: LlmModels;
	readonly #logger: Logger;
	#pending: PendingRecord[] = [];
	/** `user\nmonth` -> spend recorded but not yet committed (pending or in a batch being written). */
	readonly #unwritten = new Map<string, { cost: number; calls: number }>();
	/** `user\nmonth` -> the committed total as last read (plus what this node committed since). */
	readonly #committed = new LRUCache<string, { cost: number; calls: number }>({ max: SPEND_CACHE_USERS, ttl: SPEND_REFRESH_MS });
	#timer: NodeJS.Timeout | undefined;
	#flushing: Promise<void> = Promise.resolve();

	constructor(sequelize: Sequelize, models: LlmModels, logger: Logger) {
		this.#sequelize = sequelize;
		this.#models = models;
		this.#logger = logger;
	}

	record(call: CallRecord): void {
		const createdAt = new Date();
		this.#pending.push({ ...call, createdAt });
		if (call.userId && call.status !== "cached") {
			const key = `${call.userId}\n${monthOf(createdAt)}`;
			const entry = this.#unwritten.get(key) ?? { cost: 0, calls: 0 };
			entry.cost += call.costUsd;
			entry.calls += 1;
			this.#unwritten.set(key, entry);
		}
		if (this.#pending.length >= BATCH_SIZE) void this.flush();
		else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
	}

	/** Writes everything recorded so far; resolves when it is in the database (or given up on). */
	flush(): Promise<void> {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#flushing = this.#flushing.then(() => this.#writeBatch());
		return this.#flushing;
	}

	async #writeBatch(): Promise<void> {
		const batch = this.#pending.splice(0, this.#pending.length);
		if (batch.length === 0) return;
		try {
			await this.#write(batch);
		} catch (err) {
			if (!isWorthRetryingLater(err)) {
				// A record the database refuses must not hold back the others: write them one by one.
				for (const call of batch) await this.#writeAlone(call);
				return;
			}
			this.#keepForLater(batch, err);
		}
	}

	async #writeAlone(call: PendingRecord): Promise<void> {
		try {
			await this.#write([call]);
		} catch (err) {
			if (isWorthRetryingLater(err)) return this.#keepForLater([call], err);
			// Its cost stays counted in this node's unwritten spend: a budget errs on the strict side.
			this.#logger.error(`Dropping an LLM call record the database refuses (${call.provider}:${call.model}, user ${call.userId ?? "-"}): ${(err as Error).message}`);
		}
	}

	#keepForLater(records: PendingRecord[], err: unknown): void {
		// Keep the records for the next flush unless that would grow without bound.
		this.#pending.unshift(...records);
		const dropped = this.#pending.length - MAX_PENDING;
		if (dropped > 0) this.#pending.splice(0, dropped);
		this.#logger.error(`Storing ${records.length} LLM call records failed${dropped > 0 ? ` (${dropped} dropped)` : ""}: ${(err as Error).message}`);
		this.#timer ??= setTimeout(() => void this.flush(), 1_000);
	}

	/** One transaction: the records, and their users' monthly spend. */
	async #write(batch: PendingRecord[]): Promise<void> {
		const spend = new Map<string, { userId: string; month: string; cost: number; calls: number }>();
		for (const call of batch) {
			if (!call.userId || call.status === "cached") continue;
			const key = `${call.userId}\n${monthOf(call.createdAt)}`;
			const entry = spend.get(key) ?? { userId: call.userId, month: monthOf(call.createdAt), cost: 0, calls: 0 };
			entry.cost += call.costUsd;
			entry.calls += 1;
			spend.set(key, entry);
		}
		await this.#sequelize.transaction(async transaction => {
			await this.#models.LlmCall.bulkCreate(
				batch.map(call => ({
					id: crypto.randomUUID(),
					userId: call.userId,
					provider: call.provider,
					model: call.model,
					paramsHash: call.paramsHash,
					status: call.status,
					errorType: call.errorType ?? null,
					inputTokens: call.usage.inputTokens,
					outputTokens: call.usage.outputTokens,
					costUsd: call.costUsd,
					latencyMs: Math.round(call.latencyMs),
					output: call.status === "ok" ? (call.output ?? null) : null,
					data: call.status === "ok" && call.data !== undefined ? JSON.stringify(call.data) : null,
					finishReason: call.status === "ok" ? (call.finishReason ?? null) : null,
					createdAt: call.createdAt,
				})),
				{ transaction }
			);
			for (const entry of spend.values()) {
				await this.#sequelize.query(
					`INSERT INTO llm_user_spend (user_id, month, cost_usd, calls) VALUES (:userId, :month, :cost, :calls)
					 ON CONFLICT (user_id, month) DO UPDATE SET cost_usd = llm_user_spend.cost_usd + excluded.cost_usd, calls = llm_user_spend.calls + excluded.calls`,
					{ replacements: entry, transaction }
				);
			}
		});
		for (const [key, written] of spend) {
			const committed = this.#committed.peek(key);
			if (committed) {
				committed.cost += written.cost;
				committed.calls += written.calls;
			}
			const entry = this.#unwritten.get(key);
			if (!entry) continue;
			entry.cost -= written.cost;
			entry.calls -= written.calls;
			if (entry.calls <= 0) this.#unwritten.delete(key);
		}
	}

	/**
	 * USD the user has spent this calendar month (UTC), including calls not yet written. `fresh` reads
	 * the table now instead of a total up to SPEND_REFRESH_MS old.
	 */
	async monthSpend(userId: string, fresh = false): Promise<{ month: string; costUsd: number; calls: number }> {
		const month = monthOf(new Date());
		const key = `${userId}\n${month}`;
		// Read before the table: a batch committed in between is counted twice (briefly strict), never missed.
		const unwritten = { ...(this.#unwritten.get(key) ?? { cost: 0, calls: 0 }) };
		let committed = fresh ? undefined : this.#committed.get(key);
		if (!committed) {
			const [rows] = (await this.#sequelize.query("SELECT cost_usd, calls FROM llm_user_spend WHERE user_id = :userId AND month = :month", {
				replacements: { userId, month },
			})) as [{ cost_usd: number; calls: number }[], unknown];
			committed = { cost: Number(rows[0]?.cost_usd ?? 0), calls: Number(rows[0]?.calls ?? 0) };
			this.#committed.set(key, committed);
		}
		return { month, costUsd: committed.cost + unwritten.cost, calls: committed.calls + unwritten.calls };
	}

	/** The newest successful answer to exactly this request by this user, if one was stored. */
	async findStored(userId: string | null, paramsHash: string): Promise<LlmCallRow | null> {
		return this.#models.LlmCall.findOne({
			where: { userId, paramsHash, status: "ok" },
			order: [["createdAt", "DESC"]],
			attributes: ["provider", "model", "output", "data", "inputTokens", "outputTokens", "finishReason"],
		});
	}

	async close(): Promise<void> {
		await this.flush();
	}
}
