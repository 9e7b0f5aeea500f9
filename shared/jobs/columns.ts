import { DataTypes, type QueryInterface } from "sequelize";

const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** States a job can still leave; the others are final. */
export const ACTIVE_JOB_STATUSES: JobStatus[] = ["queued", "running"];

export interface JobProgress {
	done: number;
	total: number;
}

/** The standard job attributes as a model sees them (camelCase; the columns are snake_case). */
export interface JobAttributes {
	status: JobStatus;
	attempts: number;
	/** Not claimed before this time: creation time, or the retry time after a failed attempt. */
	runAfter: Date;
	/** The node (broker nodeID) holding the job while it runs. */
	leaseOwner: string | null;
	leaseExpiresAt: Date | null;
	/** Readable reason of the last failure; on a failed job, why it failed. */
	lastError: string | null;
	progress: JobProgress | null;
	startedAt: Date | null;
	finishedAt: Date | null;
	/**
	 * While a job waits out an outage: what it waits for ("llm.complete is not reachable"), and since
	 * when. Only on tables that added them (addJobWaitColumns + jobWaitModelAttributes); without
	 * them an outage still does not count as an attempt, but the window counts from each hand-back.
	 */
	waitingFor?: string | null;
	waitingSince?: Date | null;
}

/**
 * The standard job columns, for a migration's `createTable`. Frozen: migrations that already ran
 * used exactly these, so a change here needs a new migration in every service that uses them.
 */
export function jobTableColumns() {
	return {
		status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "queued" },
		attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
		run_after: { type: DataTypes.DATE, allowNull: false },
		lease_owner: { type: DataTypes.STRING(128), allowNull: true },
		lease_expires_at: { type: DataTypes.DATE, allowNull: true },
		last_error: { type: DataTypes.TEXT, allowNull: true },
		progress: { type: DataTypes.JSON, allowNull: true },
		started_at: { type: DataTypes.DATE, allowNull: true },
		finished_at: { type: DataTypes.DATE, allowNull: true },
	};
}

/** The indexes claims and dead-node releases search by; call after `createTable` in the same migration. */
export async function addJobIndexes(queryInterface: QueryInterface, table: string): Promise<void> {
	await queryInterface.addIndex(table, ["status", "run_after"], { name: `${table}_job_claim` });
	await queryInterface.addIndex(table, ["lease_owner"], { name: `${table}_job_lease_owner` });
}

/**
 * The columns a job waits out an outage with (see JobQueue's retry window), added after the first
 * release: a service's later migration calls this on its job table.
 */
export async function addJobWaitColumns(queryInterface: QueryInterface, table: string): Promise<void> {
	await queryInterface.addColumn(table, "waiting_for", { type: DataTypes.STRING(200), allowNull: true });
	await queryInterface.addColumn(table, "waiting_since", { type: DataTypes.DATE, allowNull: true });
}

/** Undoes addJobWaitColumns, for the same migration's `down`. */
export async function removeJobWaitColumns(queryInterface: QueryInterface, table: string): Promise<void> {
	await queryInterface.removeColumn(table, "waiting_since");
	await queryInterface.removeColumn(table, "waiting_for");
}

/** The standard job attributes for `sequelize.define` (the process defines models with `underscored: true`). */
export function jobModelAttributes() {
	return {
		status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "queued" },
		attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
		runAfter: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
		leaseOwner: { type: DataTypes.STRING(128), allowNull: true },
		leaseExpiresAt: { type: DataTypes.DATE, allowNull: true },
		lastError: { type: DataTypes.TEXT, allowNull: true },
		progress: { type: DataTypes.JSON, allowNull: true },
		startedAt: { type: DataTypes.DATE, allowNull: true },
		finishedAt: { type: DataTypes.DATE, allowNull: true },
	};
}

/** The attributes of addJobWaitColumns, for the models of tables that have them. */
export function jobWaitModelAttributes() {
	return {
		waitingFor: { type: DataTypes.STRING(200), allowNull: true },
		waitingSince: { type: DataTypes.DATE, allowNull: true },
	};
}
