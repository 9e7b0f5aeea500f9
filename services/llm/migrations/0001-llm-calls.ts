import { DataTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";

/**
 * llm_calls: every provider call (and every answer served from the store); llm_user_spend: a running
 * monthly total per user, so a budget check is one primary-key read, not a sum over all calls.
 */
export const createLlmCalls: Migration = {
	name: "0001-llm-calls",
	async up({ context: qi }) {
		await qi.createTable("llm_calls", {
			id: { type: DataTypes.STRING(36), primaryKey: true },
			user_id: { type: DataTypes.STRING(64), allowNull: true },
			provider: { type: DataTypes.STRING(64), allowNull: false },
			model: { type: DataTypes.STRING(200), allowNull: false },
			/** Hash of everything the answer depends on (model, messages, parameters, task). */
			params_hash: { type: DataTypes.STRING(64), allowNull: false },
			/** ok, error or cached. */
			status: { type: DataTypes.STRING(16), allowNull: false },
			error_type: { type: DataTypes.STRING(32), allowNull: true },
			input_tokens: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			output_tokens: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			cost_usd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			latency_ms: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			output: { type: DataTypes.TEXT, allowNull: true },
			data: { type: DataTypes.TEXT, allowNull: true },
			created_at: { type: DataTypes.DATE, allowNull: false },
		});
		await qi.addIndex("llm_calls", ["user_id", "params_hash"], { name: "llm_calls_user_params" });
		await qi.addIndex("llm_calls", ["user_id", "created_at"], { name: "llm_calls_user_created" });
		await qi.createTable("llm_user_spend", {
			user_id: { type: DataTypes.STRING(64), primaryKey: true },
			/** YYYY-MM, UTC. */
			month: { type: DataTypes.STRING(7), primaryKey: true },
			cost_usd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			calls: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
		});
	},
	async down({ context: qi }) {
		await qi.dropTable("llm_user_spend");
		await qi.dropTable("llm_calls");
	},
};
