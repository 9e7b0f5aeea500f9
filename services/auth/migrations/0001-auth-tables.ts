import { DataTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";

const timestamps = {
	created_at: { type: DataTypes.DATE, allowNull: false },
	updated_at: { type: DataTypes.DATE, allowNull: false },
};

/**
 * Users, sign-in sessions (one refresh-token family each), refresh tokens, API keys and the
 * per-account login throttle. Only SHA-256 hashes of tokens and keys are stored, never the secrets.
 */
export const authTables: Migration = {
	name: "0001-auth-tables",
	async up({ context: qi }) {
		await qi.createTable("auth_users", {
			id: { type: DataTypes.UUID, primaryKey: true },
			// Stored lower-cased, so the unique index makes addresses unique case-insensitively.
			email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
			name: { type: DataTypes.STRING(100), allowNull: true },
			password_hash: { type: DataTypes.STRING(255), allowNull: false },
			role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "user" },
			...timestamps,
		});

		await qi.createTable("auth_sessions", {
			id: { type: DataTypes.UUID, primaryKey: true },
			user_id: { type: DataTypes.UUID, allowNull: false, references: { model: "auth_users", key: "id" }, onDelete: "CASCADE" },
			revoked_at: { type: DataTypes.DATE, allowNull: true },
			ip: { type: DataTypes.STRING(64), allowNull: true },
			user_agent: { type: DataTypes.STRING(255), allowNull: true },
			...timestamps,
		});
		await qi.addIndex("auth_sessions", ["user_id"]);

		await qi.createTable("auth_refresh_tokens", {
			id: { type: DataTypes.UUID, primaryKey: true },
			session_id: { type: DataTypes.UUID, allowNull: false, references: { model: "auth_sessions", key: "id" }, onDelete: "CASCADE" },
			token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
			expires_at: { type: DataTypes.DATE, allowNull: false },
			// Set when the token is exchanged; presenting it again afterwards is reuse.
			used_at: { type: DataTypes.DATE, allowNull: true },
			...timestamps,
		});
		await qi.addIndex("auth_refresh_tokens", ["session_id"]);

		await qi.createTable("auth_api_keys", {
			id: { type: DataTypes.UUID, primaryKey: true },
			user_id: { type: DataTypes.UUID, allowNull: false, references: { model: "auth_users", key: "id" }, onDelete: "CASCADE" },
			name: { type: DataTypes.STRING(100), allowNull: false },
			prefix: { type: DataTypes.STRING(32), allowNull: false },
			key_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
			last_used_at: { type: DataTypes.DATE, allowNull: true },
			revoked_at: { type: DataTypes.DATE, allowNull: true },
			...timestamps,
		});
		await qi.addIndex("auth_api_keys", ["user_id"]);

		// Keyed by the lower-cased email whether or not an account exists, so unknown addresses
		// are throttled exactly like real ones and the throttle reveals nothing.
		await qi.createTable("auth_login_failures", {
			email: { type: DataTypes.STRING(254), primaryKey: true },
			failures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			// Milliseconds since the epoch: compared in SQL the same way on SQLite and PostgreSQL.
			locked_until: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
			last_failure_at: { type: DataTypes.BIGINT, allowNull: false },
		});
	},
	async down({ context: qi }) {
		for (const table of ["auth_login_failures", "auth_api_keys", "auth_refresh_tokens", "auth_sessions", "auth_users"]) {
			await qi.dropTable(table);
		}
	},
};
