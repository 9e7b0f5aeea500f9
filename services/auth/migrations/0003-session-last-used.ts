import { DataTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";

/**
 * When a session last signed in or refreshed, for the sessions list ("last used") and to tell a
 * live session (a refresh token younger than 30 days) from a dead one without reading its tokens.
 * Existing sessions take the time of their newest refresh token, else their start.
 */
export const sessionLastUsed: Migration = {
	name: "0003-session-last-used",
	async up({ context: qi }) {
		await qi.addColumn("auth_sessions", "last_used_at", { type: DataTypes.DATE, allowNull: true });
		await qi.sequelize.query(
			`UPDATE auth_sessions SET last_used_at = COALESCE(
			   (SELECT MAX(auth_refresh_tokens.created_at) FROM auth_refresh_tokens WHERE auth_refresh_tokens.session_id = auth_sessions.id),
			   auth_sessions.created_at)`
		);
		// The list asks for a user's sessions newest first.
		await qi.addIndex("auth_sessions", ["user_id", "last_used_at"]);
	},
	async down({ context: qi }) {
		await qi.removeIndex("auth_sessions", ["user_id", "last_used_at"]);
		await qi.removeColumn("auth_sessions", "last_used_at");
	},
};
