import { type Model, type ModelStatic, type Transaction, type WhereOptions } from "sequelize";
import { ACTIVE_JOB_STATUSES } from "./columns.ts";
import { QueueFullError } from "./errors.ts";

/** Count caps a new job must fit under, counted over queued and running jobs. */
export interface AdmissionLimits {
	/** Whose job it is: the attribute (`userId`) and its value. */
	key: { attribute: string; value: string };
	/** Active jobs one key may have. */
	perKey: number;
	/** Active jobs the whole table may have (the queue's bound); unset: no bound. */
	total?: number;
}

/**
 * Counts and stores in one step, so that parallel requests cannot all pass a count taken before
 * any of them was stored. On PostgreSQL the transaction first takes an advisory lock on the key, so
 * every node's admissions for one user take turns (other users' do not wait); on SQLite the
 * process's transactions already take turns (see shared/db/sqlite-transactions.ts) and each one
 * holds the write lock from its BEGIN. The total is counted in the same transaction: exact on
 * SQLite, and on PostgreSQL over by at most the admissions of other users in flight at that moment.
 */
export async function admitJob<TJob extends Model>(model: ModelStatic<TJob>, limits: AdmissionLimits, create: (transaction: Transaction) => Promise<TJob>): Promise<TJob> {
	const sequelize = model.sequelize!;
	return sequelize.transaction(async transaction => {
		if (sequelize.getDialect() === "postgres") {
			await sequelize.query("SELECT pg_advisory_xact_lock(hashtext(:table), hashtext(:key))", {
				replacements: { table: `jobs:admit:${model.getTableName()}`, key: limits.key.value },
				transaction,
			});
		}
		const active = { status: ACTIVE_JOB_STATUSES };
		const mine = await model.count({ where: { ...active, [limits.key.attribute]: limits.key.value } as WhereOptions, transaction });
		if (mine >= limits.perKey) throw new QueueFullError("key", mine, limits.perKey);
		if (limits.total !== undefined) {
			const all = await model.count({ where: active as WhereOptions, transaction });
			if (all >= limits.total) throw new QueueFullError("total", all, limits.total);
		}
		return create(transaction);
	});
}
