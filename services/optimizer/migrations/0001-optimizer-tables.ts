import { DataTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";
import { addJobIndexes, jobTableColumns } from "../../../shared/jobs/index.ts";

const timestamps = {
	created_at: { type: DataTypes.DATE, allowNull: false },
	updated_at: { type: DataTypes.DATE, allowNull: false },
};

/**
 * Studies (durable jobs), their trials, the per-(call, user) result cache that lets a re-run spend
 * only on new work, and the profiles users save from a study.
 */
export const optimizerTables: Migration = {
	name: "0001-optimizer-tables",
	async up({ context: qi }) {
		await qi.createTable("optimizer_studies", {
			id: { type: DataTypes.UUID, primaryKey: true },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			// The caller's identity when the study was created: the job calls llm.complete as this user.
			owner: { type: DataTypes.JSON, allowNull: false },
			name: { type: DataTypes.STRING(100), allowNull: false },
			definition: { type: DataTypes.JSON, allowNull: false },
			spent_usd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			calls: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			stop_reason: { type: DataTypes.STRING(32), allowNull: true },
			// The job's started_at moves with every claim; the wall-time budget counts from the first.
			first_started_at: { type: DataTypes.DATE, allowNull: true },
			...jobTableColumns(),
			...timestamps,
		});
		await qi.addIndex("optimizer_studies", ["user_id", "created_at"]);
		await addJobIndexes(qi, "optimizer_studies");

		await qi.createTable("optimizer_trials", {
			id: { type: DataTypes.UUID, primaryKey: true },
			study_id: { type: DataTypes.UUID, allowNull: false, references: { model: "optimizer_studies", key: "id" }, onDelete: "CASCADE" },
			number: { type: DataTypes.INTEGER, allowNull: false },
			params: { type: DataTypes.JSON, allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			scores: { type: DataTypes.JSON, allowNull: true },
			// Scores of each example (mean over repeats), in dataset order: what pruning compares.
			example_scores: { type: DataTypes.JSON, allowNull: true },
			cost_usd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			calls: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			cached_calls: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			error: { type: DataTypes.TEXT, allowNull: true },
			finished_at: { type: DataTypes.DATE, allowNull: true },
			...timestamps,
		});
		await qi.addIndex("optimizer_trials", ["study_id", "number"], { unique: true, name: "optimizer_trials_study_number" });

		await qi.createTable("optimizer_results", {
			id: { type: DataTypes.UUID, primaryKey: true },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			// SHA-256 of the exact llm request (model, params, prompt or task, example) and repeat number.
			cache_key: { type: DataTypes.STRING(64), allowNull: false },
			output: { type: DataTypes.TEXT, allowNull: false },
			// What the call cost and took when it was made: scores keep them when it is reused for free.
			cost_usd: { type: DataTypes.DOUBLE, allowNull: false },
			latency_ms: { type: DataTypes.DOUBLE, allowNull: false },
			...timestamps,
		});
		await qi.addIndex("optimizer_results", ["user_id", "cache_key"], { unique: true, name: "optimizer_results_user_key" });

		await qi.createTable("optimizer_profiles", {
			id: { type: DataTypes.UUID, primaryKey: true },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			name: { type: DataTypes.STRING(100), allowNull: false },
			providers: { type: DataTypes.JSON, allowNull: false },
			strategy: { type: DataTypes.STRING(32), allowNull: false },
			params: { type: DataTypes.JSON, allowNull: false },
			study_id: { type: DataTypes.UUID, allowNull: true },
			scores: { type: DataTypes.JSON, allowNull: true },
			...timestamps,
		});
		await qi.addIndex("optimizer_profiles", ["user_id", "name"], { unique: true, name: "optimizer_profiles_user_name" });
	},
	async down({ context: qi }) {
		for (const table of ["optimizer_profiles", "optimizer_results", "optimizer_trials", "optimizer_studies"]) await qi.dropTable(table);
	},
};
