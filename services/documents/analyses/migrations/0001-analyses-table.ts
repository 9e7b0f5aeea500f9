import { DataTypes } from "sequelize";
import type { Migration } from "../../../../shared/db/migrations.ts";
import { addJobIndexes, jobTableColumns } from "../../../../shared/jobs/index.ts";

/** One row per requested analysis: the options asked for, the job state, and the results kept for good. */
export const analysesTable: Migration = {
	name: "0001-analyses-table",
	async up({ context: queryInterface }) {
		await queryInterface.createTable("analyses", {
			id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			document_id: { type: DataTypes.STRING(64), allowNull: false },
			options: { type: DataTypes.JSON, allowNull: false },
			// Hash of document + options + provider set: finds a stored result or a run already under way.
			options_key: { type: DataTypes.STRING(64), allowNull: false },
			results: { type: DataTypes.JSON, allowNull: true },
			consensus: { type: DataTypes.JSON, allowNull: true },
			usage: { type: DataTypes.JSON, allowNull: true },
			cost_usd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			cached: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
			...jobTableColumns(),
			created_at: { type: DataTypes.DATE, allowNull: false },
			updated_at: { type: DataTypes.DATE, allowNull: false },
		});
		await addJobIndexes(queryInterface, "analyses");
		await queryInterface.addIndex("analyses", ["user_id", "document_id", "created_at"], { name: "analyses_by_document" });
		await queryInterface.addIndex("analyses", ["options_key", "status"], { name: "analyses_by_options" });
	},
	async down({ context: queryInterface }) {
		await queryInterface.dropTable("analyses");
	},
};
