import fs from "node:fs";
import path from "node:path";
import { Sequelize, type Options } from "sequelize";
import type { PlatformConfig } from "../config.ts";
import { sqliteDriver } from "./sqlite-driver.ts";
import { serializeTransactions } from "./sqlite-transactions.ts";

/**
 * One Sequelize instance per process, shared by every service the process runs, so embedded mode
 * holds one SQLite connection and distributed mode one bounded PostgreSQL pool, not one per service.
 * Reference-counted: the last service to stop closes it.
 */
interface SharedDatabase {
	sequelize: Sequelize;
	users: number;
	ready: Promise<void>;
}

const databases = new Map<string, SharedDatabase>();

export function databaseLocation(config: PlatformConfig): string {
	return config.databaseUrl ?? `sqlite:${path.join(config.dataDir, "platform.sqlite")}`;
}

export function isPostgres(sequelize: Sequelize): boolean {
	return sequelize.getDialect() === "postgres";
}

/** Pool size follows the memory budget: each PostgreSQL connection costs a few MB on both ends. */
function poolMax(config: PlatformConfig): number {
	return Math.max(4, Math.min(20, Math.floor(config.memoryBudgetMb / 64)));
}

function createSequelize(location: string, config: PlatformConfig): Sequelize {
	const common: Options = { logging: false, define: { underscored: true } };
	if (location.startsWith("sqlite:")) {
		const storage = location.slice("sqlite:".length) || ":memory:";
		if (storage !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(storage)), { recursive: true });
		const sequelize = new Sequelize({
			...common,
			dialect: "sqlite",
			dialectModule: sqliteDriver,
			storage,
			// Take the write lock at BEGIN, so two transactions never deadlock upgrading a read lock.
			transactionType: "IMMEDIATE" as never,
			retry: { max: 5, match: [/SQLITE_BUSY/] },
		});
		serializeTransactions(sequelize);
		return sequelize;
	}
	return new Sequelize(location, {
		...common,
		dialect: "postgres",
		pool: { max: poolMax(config), min: 0, idle: 10_000, acquire: 10_000, evict: 5_000 },
		// A request must never hang on a dead or restarting server: fail fast, let the pool reconnect.
		dialectOptions: { connectionTimeoutMillis: 5_000, statement_timeout: 15_000, idle_in_transaction_session_timeout: 30_000 },
		// A restarting server ends its sessions (57P01) and refuses new ones for a second or two: a
		// query retried on a fresh connection after a short backoff (0.25 s, growing, about 2 s in all) succeeds.
		retry: {
			max: 6,
			backoffBase: 250,
			match: [/ECONNRESET/, /ECONNREFUSED/, /Connection terminated/, /terminating connection/, /the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)/, /not queryable/],
		},
	});
}

/** Removes NUL characters from every string value about to be written. */
function withoutNul(values: Record<string, unknown> | undefined): void {
	if (!values) return;
	for (const [key, value] of Object.entries(values)) {
		if (typeof value === "string" && value.includes("\u0000")) values[key] = value.replaceAll("\u0000", "");
	}
}

/**
 * Text from outside (a provider's answer, say) may hold NUL characters, which PostgreSQL text
 * cannot store and which cut an SQLite statement short: one such answer would fail its whole batch
 * of call records, again and again. A NUL means nothing in text, so it is dropped on the way in.
 * (Requests are refused at the gateway instead: services/api/param-guards.ts.)
 */
function dropNulCharactersOnWrite(sequelize: Sequelize): void {
	sequelize.addHook("beforeSave", instance => withoutNul((instance as unknown as { dataValues: Record<string, unknown> }).dataValues));
	sequelize.addHook("beforeBulkCreate", instances => {
		for (const instance of instances as unknown as { dataValues: Record<string, unknown> }[]) withoutNul(instance.dataValues);
	});
	sequelize.addHook("beforeBulkUpdate", options => withoutNul((options as { attributes?: Record<string, unknown> }).attributes));
	sequelize.addHook("beforeUpsert", values => withoutNul(values as unknown as Record<string, unknown>));
}

async function prepare(sequelize: Sequelize): Promise<void> {
	if (sequelize.getDialect() === "sqlite") {
		// WAL lets readers run while the single writer writes; busy_timeout queues writers instead of failing.
		await sequelize.query("PRAGMA journal_mode = WAL");
		await sequelize.query("PRAGMA foreign_keys = ON");
	} else {
		await sequelize.authenticate();
	}
}

export async function acquireDatabase(config: PlatformConfig): Promise<Sequelize> {
	const location = databaseLocation(config);
	let shared = databases.get(location);
	if (!shared) {
		const sequelize = createSequelize(location, config);
		dropNulCharactersOnWrite(sequelize);
		shared = { sequelize, users: 0, ready: prepare(sequelize) };
		databases.set(location, shared);
	}
	shared.users++;
	try {
		await shared.ready;
	} catch (err) {
		await releaseDatabase(shared.sequelize);
		throw err;
	}
	return shared.sequelize;
}

export async function releaseDatabase(sequelize: Sequelize): Promise<void> {
	for (const [location, shared] of databases) {
		if (shared.sequelize !== sequelize) continue;
		shared.users--;
		if (shared.users <= 0) {
			databases.delete(location);
			await sequelize.close();
		}
		return;
	}
}
