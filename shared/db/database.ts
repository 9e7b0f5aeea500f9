import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Sequelize, type Options } from "sequelize";
import type { PlatformConfig } from "../config.ts";
import { sqliteDriver } from "./sqlite-driver.ts";
import { serializeTransactions } from "./sqlite-transactions.ts";
import { applicationName, checkConnectionCapacity } from "./connection-capacity.ts";

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

/** This process on the database (one pool per process, shared by its services). */
function processName(config: PlatformConfig): string {
	return config.nodeId ?? `${os.hostname()}-${process.pid}`;
}

/**
 * Errors that mean the connection or the server went away, not that the query was wrong: a query
 * retried on a fresh connection may succeed (a restart ends sessions with 57P01, then refuses new
 * ones for a moment).
 */
const CONNECTION_LOST = [/ECONNRESET/, /ECONNREFUSED/, /Connection terminated/, /terminating connection/, /the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)/, /not queryable/];

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
	const faults = config.faults;
	return new Sequelize(location, {
		...common,
		dialect: "postgres",
		// Under overload, queries queue for a connection (up to DATABASE_ACQUIRE_TIMEOUT_MS) rather than
		// opening more than the server can take: checkConnectionCapacity sees that the pools fit at start.
		pool: { max: faults.databasePoolMax, min: 0, idle: 10_000, acquire: faults.databaseAcquireTimeoutMs, evict: 5_000 },
		// A request must never hang on a dead or restarting server: fail fast, let the pool reconnect.
		dialectOptions: {
			connectionTimeoutMillis: faults.databaseConnectTimeoutMs,
			statement_timeout: 15_000,
			idle_in_transaction_session_timeout: 30_000,
			application_name: applicationName(config, processName(config)),
		},
		// A blip (one connection reset, a session ended) is ridden out by two quick retries on a fresh
		// connection; a server that stays away answers 503 within a second instead (it took 1.5-3 s
		// with six retries), and the client, told so, retries later.
		retry: { max: 3, backoffBase: 100, backoffExponent: 2, match: CONNECTION_LOST },
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

async function prepare(sequelize: Sequelize, config: PlatformConfig): Promise<void> {
	if (sequelize.getDialect() === "sqlite") {
		// WAL lets readers run while the single writer writes; busy_timeout queues writers instead of failing.
		await sequelize.query("PRAGMA journal_mode = WAL");
		await sequelize.query("PRAGMA foreign_keys = ON");
	} else {
		await sequelize.authenticate();
		await checkConnectionCapacity(sequelize, config, processName(config));
	}
}

export async function acquireDatabase(config: PlatformConfig): Promise<Sequelize> {
	const location = databaseLocation(config);
	let shared = databases.get(location);
	if (!shared) {
		const sequelize = createSequelize(location, config);
		dropNulCharactersOnWrite(sequelize);
		shared = { sequelize, users: 0, ready: prepare(sequelize, config) };
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
