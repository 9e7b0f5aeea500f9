import { DataTypes, QueryTypes } from "sequelize";
import type { Migration } from "../../../shared/db/migrations.ts";

/** The longest an access token lives (15 minutes) and a minute more, as the service revokes with. */
const LIVE_TOKEN_WINDOW_MS = 16 * 60 * 1000;

/**
 * The durable record of sign-outs: one row per revoked session, kept until its last access token
 * has expired. Each node's denylist (memory, Redis) is only a cache of it, filled from it at start.
 * No foreign key to auth_sessions: a revocation must outlive its session row if that is deleted.
 */
export const sessionRevocations: Migration = {
	name: "0002-session-revocations",
	async up({ context: qi }) {
		await qi.createTable("auth_session_revocations", {
			session_id: { type: DataTypes.UUID, primaryKey: true },
			// Milliseconds since the epoch: compared in SQL the same way on SQLite and PostgreSQL.
			revoked_at: { type: DataTypes.BIGINT, allowNull: false },
			// After this no access token of the session can be valid: the row may go.
			expires_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		// Other nodes catch up on recent revocations by revoked_at; purges go by expires_at.
		await qi.addIndex("auth_session_revocations", ["revoked_at"]);
		await qi.addIndex("auth_session_revocations", ["expires_at"]);

		// Sessions signed out just before the upgrade, whose access tokens may still be alive.
		const now = Date.now();
		const recent = await qi.sequelize.query<{ id: string; revoked_at: Date | string }>("SELECT id, revoked_at FROM auth_sessions WHERE revoked_at > :since", {
			replacements: { since: new Date(now - LIVE_TOKEN_WINDOW_MS) },
			type: QueryTypes.SELECT,
		});
		if (recent.length > 0) {
			await qi.bulkInsert(
				"auth_session_revocations",
				recent.map(row => {
					const revokedAt = new Date(row.revoked_at).getTime();
					return { session_id: row.id, revoked_at: revokedAt, expires_at: revokedAt + LIVE_TOKEN_WINDOW_MS };
				})
			);
		}
	},
	async down({ context: qi }) {
		await qi.dropTable("auth_session_revocations");
	},
};
