import { DataTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";

/**
 * The blob registry (one row per distinct content, for both drivers) and the PostgreSQL driver's
 * content, split in parts so no query moves a whole file. Both tables exist on SQLite too, so the
 * schema is the same everywhere; the file driver leaves the parts table empty.
 */
export const createBlobStore: Migration = {
	name: "0002-create-blob-store",
	async up({ context: queryInterface }) {
		await queryInterface.createTable("document_blobs", {
			sha256: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
			size: { type: DataTypes.BIGINT, allowNull: false },
			created_at: { type: DataTypes.DATE, allowNull: false },
		});
		await queryInterface.createTable("document_blob_parts", {
			// The content's sha256 once committed; "staging:<uuid>" while an upload is still arriving.
			blob_key: { type: DataTypes.STRING(80), primaryKey: true, allowNull: false },
			seq: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
			data: { type: DataTypes.BLOB, allowNull: false },
			created_at: { type: DataTypes.DATE, allowNull: false },
		});
	},
	async down({ context: queryInterface }) {
		await queryInterface.dropTable("document_blob_parts");
		await queryInterface.dropTable("document_blobs");
	},
};
