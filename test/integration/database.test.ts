import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataTypes, type QueryInterface, type Sequelize } from "sequelize";
import { loadConfig } from "../../shared/config.ts";
import { acquireDatabase, releaseDatabase } from "../../shared/db/database.ts";
import { runMigrations, type Migration } from "../../shared/db/migrations.ts";
import { requireServices } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";

const migrations: Migration[] = [
	{
		name: "0001-create-notes",
		async up({ context }: { context: QueryInterface }) {
			await context.createTable("probe_notes", {
				id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
				body: { type: DataTypes.STRING(200), allowNull: false },
			});
		},
		async down({ context }: { context: QueryInterface }) {
			await context.dropTable("probe_notes");
		},
	},
];

const variants = [
	{ name: "SQLite", requires: [] as "postgres"[], url: async () => ({ env: {}, drop: async () => {} }) },
	{
		name: "PostgreSQL",
		requires: ["postgres" as const],
		url: async () => {
			const db: TestDatabase = await createTestDatabase();
			return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
		},
	},
];

for (const variant of variants) {
	describe(`database layer (${variant.name})`, function () {
		let sequelize: Sequelize;
		let drop: () => Promise<void> = async () => {};
		let dataDir: string;

		before(async function () {
			await requireServices(this, ...variant.requires);
			dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "db-test-"));
			const prepared = await variant.url();
			drop = prepared.drop;
			sequelize = await acquireDatabase(loadConfig({ DATA_DIR: dataDir, ...prepared.env }));
		});

		after(async () => {
			if (sequelize) await releaseDatabase(sequelize);
			await drop();
			if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
		});

		it("applies a service's migrations once, even when nodes start together", async () => {
			const runs = await Promise.all([runMigrations(sequelize, "probe", migrations), runMigrations(sequelize, "probe", migrations)]);
			expect(runs.flat()).to.deep.equal(["0001-create-notes"]);
			expect(await runMigrations(sequelize, "probe", migrations)).to.deep.equal([]);
			const [rows] = await sequelize.query("SELECT name FROM probe_migrations");
			expect(rows).to.have.length(1);
		});

		it("runs many concurrent write transactions without SQLITE_BUSY or lost rows", async () => {
			await Promise.all(
				Array.from({ length: 25 }, (_, i) =>
					sequelize.transaction(async transaction => {
						await sequelize.query("INSERT INTO probe_notes (body) VALUES (:body)", { replacements: { body: `note ${i}` }, transaction });
						await sequelize.query("SELECT COUNT(*) FROM probe_notes", { transaction });
					})
				)
			);
			const [[{ count }]] = (await sequelize.query("SELECT COUNT(*) AS count FROM probe_notes")) as [{ count: number | string }[], unknown];
			expect(Number(count)).to.equal(25);
		});

		it("lets a transaction's afterCommit hook run a transaction of its own", async () => {
			let hookRan = false;
			await sequelize.transaction(async transaction => {
				await sequelize.query("INSERT INTO probe_notes (body) VALUES ('outer')", { transaction });
				transaction.afterCommit(async () => {
					await sequelize.transaction(async inner => {
						await sequelize.query("INSERT INTO probe_notes (body) VALUES ('from hook')", { transaction: inner });
					});
					hookRan = true;
				});
			});
			expect(hookRan).to.equal(true);
			const [rows] = await sequelize.query("SELECT body FROM probe_notes WHERE body = 'from hook'");
			expect(rows).to.have.length(1);
		});

		it("rolls a failed transaction back completely", async () => {
			const before = await sequelize.query("SELECT COUNT(*) AS count FROM probe_notes");
			let failed = false;
			try {
				await sequelize.transaction(async transaction => {
					await sequelize.query("INSERT INTO probe_notes (body) VALUES ('kept?')", { transaction });
					await sequelize.query("INSERT INTO probe_notes (body) VALUES (NULL)", { transaction });
				});
			} catch {
				failed = true;
			}
			expect(failed).to.equal(true);
			expect(await sequelize.query("SELECT COUNT(*) AS count FROM probe_notes")).to.deep.equal(before);
		});
	});
}
