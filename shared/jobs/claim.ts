import { Op, type Model, type ModelStatic, type Transaction, type WhereOptions } from "sequelize";
import type { JobAttributes } from "./columns.ts";

export interface ClaimOptions {
	owner: string;
	limit: number;
	leaseMs: number;
	maxAttempts: number;
}

export interface ClaimOutcome<TJob extends Model> {
	claimed: TJob[];
	/** Jobs whose worker died on their last allowed attempt: now failed, for the caller to report. */
	exhausted: TJob[];
}

type Candidate = Model & Pick<JobAttributes, "status" | "attempts"> & { id: unknown };

/** Queued jobs that are due, and running jobs whose worker stopped renewing its lease. */
function claimable(now: Date): WhereOptions {
	return {
		[Op.or]: [
			{ status: "queued", runAfter: { [Op.lte]: now } },
			{ status: "running", leaseExpiresAt: { [Op.lt]: now } },
		],
	};
}

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

/**
 * Takes up to `limit` jobs for `owner`. Every write is conditional on the status and attempt count
 * read, so of several workers racing for one row exactly one wins; on PostgreSQL the candidates are
 * also read `FOR UPDATE SKIP LOCKED`, so concurrent workers pick different rows instead of colliding.
 */
export async function claimJobs<TJob extends Model>(model: ModelStatic<TJob>, options: ClaimOptions): Promise<ClaimOutcome<TJob>> {
	const sequelize = model.sequelize!;
	const run = async (transaction?: Transaction): Promise<ClaimOutcome<TJob>> => {
		const now = new Date();
		const candidates = (await model.findAll({
			attributes: ["id", "status", "attempts"],
			where: claimable(now),
			order: [["runAfter", "ASC"]],
			limit: options.limit,
			...(transaction ? { transaction, lock: transaction.LOCK.UPDATE, skipLocked: true } : {}),
		})) as unknown as Candidate[];
		const claimedIds: unknown[] = [];
		const exhaustedIds: unknown[] = [];
		for (const candidate of candidates) {
			const exhausted = candidate.status === "running" && candidate.attempts >= options.maxAttempts;
			const values = exhausted ? exhaustedValues(candidate, now) : claimValues(candidate, options, now);
			const [changed] = await model.update(values as never, {
				where: { id: candidate.id, status: candidate.status, attempts: candidate.attempts } as WhereOptions,
				transaction,
			});
			if (changed === 1) (exhausted ? exhaustedIds : claimedIds).push(candidate.id);
		}
		const load = (ids: unknown[]) => (ids.length === 0 ? Promise.resolve([]) : model.findAll({ where: { id: ids } as WhereOptions, transaction }));
		return { claimed: await load(claimedIds), exhausted: await load(exhaustedIds) };
	};
	if (sequelize.getDialect() !== "postgres") return run();
	return sequelize.transaction(transaction => run(transaction));
}
