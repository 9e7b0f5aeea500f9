import { DataTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";
import { addJobIndexes, jobTableColumns } from "../../../shared/jobs/index.ts";

/**
 * Document metadata and its extracted text (kept apart so listing never reads the text). A
 * document row is also its extraction job (the shared job columns): queued is "uploaded",
 * running "extracting", succeeded "ready", failed "failed".
 */
export const createDocuments: Migration = {
	name: "0001-create-documents",
	async up({ context: queryInterface }) {
		await queryInterface.createTable("documents", {
			id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			filename: { type: DataTypes.STRING(255), allowNull: false },
			mime_type: { type: DataTypes.STRING(128), allowNull: false },
			charset: { type: DataTypes.STRING(32), allowNull: true },
			size: { type: DataTypes.BIGINT, allowNull: false },
			sha256: { type: DataTypes.STRING(64), allowNull: false },
			analyze: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
			...jobTableColumns(),
			created_at: { type: DataTypes.DATE, allowNull: false },
			updated_at: { type: DataTypes.DATE, allowNull: false },
		});
		await queryInterface.addIndex("documents", ["user_id", "created_at"], { name: "documents_user_created" });
		await queryInterface.addIndex("documents", ["sha256"], { name: "documents_sha256" });
		await addJobIndexes(queryInterface, "documents");

		await queryInterface.createTable("document_texts", {
			document_id: {
				type: DataTypes.UUID,
				primaryKey: true,
				allowNull: false,
				references: { model: "documents", key: "id" },
				onDelete: "CASCADE",
			},
			text: { type: DataTypes.TEXT, allowNull: false },
			/** JSON: chunk boundaries only; their text is sliced from `text` when read. */
			chunks: { type: DataTypes.TEXT, allowNull: false },
			/** JSON: pages, words, characters, language, truncated. */
			stats: { type: DataTypes.TEXT, allowNull: false },
			created_at: { type: DataTypes.DATE, allowNull: false },
		});
	},
	async down({ context: queryInterface }) {
		await queryInterface.dropTable("document_texts");
		await queryInterface.dropTable("documents");
	},
};
