import { Umzug, SequelizeStorage, type RunnableMigration } from "umzug";
import type { QueryInterface, Sequelize } from "sequelize";
import { isPostgres } from "./database.ts";

export type Migration = RunnableMigration<QueryInterface>;

const sqliteRuns = new Map<string, Promise<string[]>>();

/**
 * Runs a service's versioned migrations. Each service keeps its own history table, so services
 * own their tables and can be deployed apart. On PostgreSQL an advisory lock makes nodes that
 * start together take turns instead of racing on the same DDL.
 */
export async function runMigrations(sequelize: Sequelize, service: string, migrations: Migration[]): Promise<string[]> {
	const umzug = new Umzug<QueryInterface>({
		migrations,
		context: sequelize.getQueryInterface(),
		// Each service its own model name too: umzug defines the history model on the shared instance.
		storage: new SequelizeStorage({ sequelize, tableName: `${service}_migrations`, modelName: `${service}Migration` }),
		logger: undefined,
	});
	if (!isPostgres(sequelize)) {
		// One process owns an SQLite file: an in-process turn per service history is enough.
		const key = `${service}`;
		const previous = sqliteRuns.get(key) ?? Promise.resolve([]);
		const run = previous.catch(() => []).then(async () => (await umzug.up()).map(m => m.name));
		sqliteRuns.set(key, run);
		return run;
	}
	// A transaction-scoped lock lives on one pooled connection until commit, while umzug's own
	// queries use other connections; a session lock could be released on the wrong connection.
	return sequelize.transaction(async transaction => {
		await sequelize.query("SELECT pg_advisory_xact_lock(hashtext(:lockKey))", {
			replacements: { lockKey: `migrations:${service}` },
			transaction,
		});
		return (await umzug.up()).map(m => m.name);
	});
}
