import { DataTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";

/** llm_calls.finish_reason: an answer served again from the store says why it ended (a truncated one stays "length"). */
export const addFinishReason: Migration = {
	name: "0002-llm-call-finish-reason",
	async up({ context: qi }) {
		await qi.addColumn("llm_calls", "finish_reason", { type: DataTypes.STRING(32), allowNull: true });
	},
	async down({ context: qi }) {
		await qi.removeColumn("llm_calls", "finish_reason");
	},
};
