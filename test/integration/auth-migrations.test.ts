import { expect } from "chai";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueryTypes, type Sequelize } from "sequelize";
import { loadConfig } from "../../shared/config.ts";
import { acquireDatabase, releaseDatabase } from "../../shared/db/database.ts";
import { runMigrations } from "../../shared/db/migrations.ts";
import { migrations } from "../../services/auth/migrations/index.ts";
import { requireServices } from "../helpers/backing-services.ts";
import { createTestDatabase } from "../helpers/postgres.ts";

const variants = [
	{ name: "SQLite", requires: [] as "postgres"[], prepare: async () => ({ env: {}, drop: async () => {} }) },
	{
		name: "PostgreSQL",
		requires: ["postgres" as const],
		prepare: async () => {
			const db = await createTestDatabase();
			return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
		},
	},
];

for (const variant of variants) {
	describe(`auth migrations: upgrading a database with sessions (${variant.name})`, function () {
		this.timeout(60_000);
		let sequelize: Sequelize | undefined;
		let drop: () => Promise<void> = async () => {};
		let dataDir: string | undefined;

		before(async function () {
			await requireServices(this, ...variant.requires);
			dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "auth-migrations-"));
			const prepared = await variant.prepare();
			drop = prepared.drop;
			sequelize = await acquireDatabase(loadConfig({ DATA_DIR: dataDir, ...prepared.env }));
		});

		after(async () => {
			if (sequelize) await releaseDatabase(sequelize);
			await drop();
			if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
		});

		it("0003 gives existing sessions a last use: their newest refresh token, else their start", async () => {
			const db = sequelize!;
			const before0003 = migrations.findIndex(m => m.name === "0003-session-last-used");
			expect(await runMigrations(db, "auth", migrations.slice(0, before0003))).to.include("0002-session-revocations");
			const userId = crypto.randomUUID();
			const refreshed = crypto.randomUUID();
			const neverRefreshed = crypto.randomUUID();
			const started = new Date("2026-01-01T10:00:00.000Z");
			const lastRefresh = new Date("2026-01-05T12:00:00.000Z");
			const insert = (sql: string, replacements: Record<string, unknown>) => db.query(sql, { replacements });
			await insert("INSERT INTO auth_users (id, email, password_hash, role, created_at, updated_at) VALUES (:userId, 'old@example.test', 'x', 'user', :started, :started)", { userId, started });
			for (const id of [refreshed, neverRefreshed]) {
				await insert("INSERT INTO auth_sessions (id, user_id, created_at, updated_at) VALUES (:id, :userId, :started, :started)", { id, userId, started });
			}
			for (const at of [new Date("2026-01-02T08:00:00.000Z"), lastRefresh]) {
				await insert(
					"INSERT INTO auth_refresh_tokens (id, session_id, token_hash, expires_at, created_at, updated_at) VALUES (:id, :refreshed, :hash, :at, :at, :at)",
					{ id: crypto.randomUUID(), refreshed, hash: crypto.randomBytes(32).toString("hex"), at }
				);
			}

			expect(await runMigrations(db, "auth", migrations)).to.deep.equal(["0003-session-last-used"]);
			const rows = await db.query<{ id: string; last_used_at: string | Date }>("SELECT id, last_used_at FROM auth_sessions", { type: QueryTypes.SELECT });
			const lastUsed = new Map(rows.map(row => [row.id, new Date(row.last_used_at).getTime()]));
			expect(lastUsed.get(refreshed)).to.equal(lastRefresh.getTime());
			expect(lastUsed.get(neverRefreshed)).to.equal(started.getTime());
		});
	});
}
