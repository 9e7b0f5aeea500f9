import { Op, fn, col, type Model, type ModelStatic, type Transaction, type WhereOptions } from "sequelize";
import type { JobAttributes } from "./columns.ts";

export interface ClaimOptions {
	owner: string;
	limit: number;
	leaseMs: number;
	maxAttempts: number;
	/**
	 * The attribute jobs are shared out by (the user id): queued jobs are claimed round-robin, the
	 * oldest job of whoever has the fewest running first, instead of first-in first-out.
	 */
	fairBy?: string;
	/** With fairBy: at most this many jobs of one key run at once across all nodes; the others stay queued. */
	runningPerKey?: number;
}

export interface ClaimOutcome<TJob extends Model> {
	claimed: TJob[];
	/** Jobs whose worker died on their last allowed attempt: now failed, for the caller to report. */
	exhausted: TJob[];
	/** Queued jobs due now that were left in the queue (the queue's depth, for the metric). */
	queued: number;
}

type Candidate = Model & Pick<JobAttributes, "status" | "attempts"> & { id: unknown };

function claimValues(candidate: Candidate, options: ClaimOptions, now: Date) {
	return {
		status: "running",
		attempts: candidate.attempts + 1,
		leaseOwner: options.owner,
		leaseExpiresAt: new Date(now.getTime() + options.leaseMs),
		startedAt: now,
	};
}

function exhaustedValues(candidate: Candidate, now: Date) {
	return {
		status: "failed",
		leaseOwner: null,
		leaseExpiresAt: null,
		finishedAt: now,
		lastError: `The worker running this job stopped responding on attempt ${candidate.attempts}, the last one allowed`,
	};
}

interface KeyLoad {
	key: unknown;
	running: number;
	queued: number;
	oldest: number;
}

/**
 * Who has queued work due now and how much of theirs runs, from two grouped counts. Running jobs
 * count whatever their lease says: one whose worker died still holds its slot until taken over.
 */
async function loadByKey(model: ModelStatic<Model>, fairBy: string, now: Date, transaction?: Transaction): Promise<KeyLoad[]> {
	const column = model.getAttributes()[fairBy]?.field ?? fairBy;
	const grouped = async (where: WhereOptions, extra: [ReturnType<typeof fn>, string][]) =>
		(await model.findAll({
			attributes: [fairBy, [fn("COUNT", col("id")), "n"], ...extra],
			where,
			group: [col(column)],
			raw: true,
			transaction,
		})) as unknown as Record<string, unknown>[];
	const running = new Map((await grouped({ status: "running" }, [])).map(row => [String(row[fairBy]), Number(row.n)]));
	const waiting = await grouped({ status: "queued", runAfter: { [Op.lte]: now } }, [[fn("MIN", col("run_after")), "oldest"]]);
	return waiting.map(row => ({
		key: row[fairBy],
		running: running.get(String(row[fairBy])) ?? 0,
		queued: Number(row.n),
		oldest: new Date(row.oldest as string).getTime(),
	}));
}

/** The next key to serve: fewest running first, then the one waiting longest. */
function nextKey(loads: KeyLoad[], cap: number): KeyLoad | undefined {
	let best: KeyLoad | undefined;
	for (const load of loads) {
		if (load.queued === 0 || load.running >= cap) continue;
		if (!best || load.running < best.running || (load.running === best.running && load.oldest < best.oldest)) best = load;
	}
	return best;
}

/**
 * Takes up to `limit` jobs for `owner`. Every write is conditional on the status and attempt count
 * read, so of several workers racing for one row exactly one wins. On PostgreSQL the claim runs in
 * a transaction holding an advisory lock on the table: nodes claim one after another (a claim takes
 * milliseconds), so the per-key running cap holds exactly across nodes. Running jobs whose lease ran
 * out are taken over first; then queued jobs, round-robin by `fairBy` when set, else oldest first.
 */
export async function claimJobs<TJob extends Model>(model: ModelStatic<TJob>, options: ClaimOptions): Promise<ClaimOutcome<TJob>> {
	const sequelize = model.sequelize!;
	const run = async (transaction?: Transaction): Promise<ClaimOutcome<TJob>> => {
		if (transaction) {
			await sequelize.query("SELECT pg_advisory_xact_lock(hashtext(:key))", { replacements: { key: `jobs:claim:${model.getTableName()}` }, transaction });
		}
		const now = new Date();
		const claimedIds: unknown[] = [];
		const exhaustedIds: unknown[] = [];
		const take = async (candidate: Candidate): Promise<boolean> => {
			const exhausted = candidate.status === "running" && candidate.attempts >= options.maxAttempts;
			const values = exhausted ? exhaustedValues(candidate, now) : claimValues(candidate, options, now);
			const [changed] = await model.update(values as never, {
				where: { id: candidate.id, status: candidate.status, attempts: candidate.attempts } as WhereOptions,
				transaction,
			});
			if (changed === 1) (exhausted ? exhaustedIds : claimedIds).push(candidate.id);
			return changed === 1 && !exhausted;
		};
		const find = (where: WhereOptions, limit: number) =>
			model.findAll({ attributes: ["id", "status", "attempts"], where, order: [["runAfter", "ASC"]], limit, transaction }) as unknown as Promise<Candidate[]>;

		for (const candidate of await find({ status: "running", leaseExpiresAt: { [Op.lt]: now } }, options.limit)) await take(candidate);

		let queued: number;
		const due = { status: "queued", runAfter: { [Op.lte]: now } };
		if (options.fairBy) {
			const loads = await loadByKey(model as unknown as ModelStatic<Model>, options.fairBy, now, transaction);
			const cap = options.runningPerKey ?? Number.POSITIVE_INFINITY;
			for (let load = nextKey(loads, cap); load && claimedIds.length < options.limit; load = nextKey(loads, cap)) {
				const [candidate] = await find({ ...due, [options.fairBy]: load.key }, 1);
				if (candidate && (await take(candidate))) {
					load.running++;
					load.queued--;
				} else {
					// Taken by another worker meanwhile: this round has nothing more of theirs to give.
					load.queued = 0;
				}
			}
			queued = loads.reduce((sum, load) => sum + load.queued, 0);
		} else {
			for (const candidate of await find(due, options.limit - claimedIds.length)) await take(candidate);
			queued = await model.count({ where: due as WhereOptions, transaction });
		}
		const load = (ids: unknown[]) => (ids.length === 0 ? Promise.resolve([]) : model.findAll({ where: { id: ids } as WhereOptions, transaction }));
		return { claimed: await load(claimedIds), exhausted: await load(exhaustedIds), queued: Math.max(0, queued) };
	};
	if (sequelize.getDialect() !== "postgres") return run();
	return sequelize.transaction(transaction => run(transaction));
}
