import type { Sequelize } from "sequelize";
import { QueryTypes } from "sequelize";
import { ConfigError, type PlatformConfig } from "../config.ts";

/** Every platform connection names itself so, with its node's pool size, for the check below. */
const APPLICATION_NAME = /^docanalysis pool=(\d+) node=(.+)$/;

export function applicationName(config: PlatformConfig, nodeId: string): string {
	// PostgreSQL keeps 63 bytes of it.
	return `docanalysis pool=${config.faults.databasePoolMax} node=${nodeId}`.slice(0, 63);
}

interface Usage {
	maxConnections: number;
	superuserReserved: number;
	sessions: { application_name: string | null; connections: number }[];
}

async function usage(sequelize: Sequelize): Promise<Usage> {
	const [settings] = await sequelize.query<{ max: number; reserved: number }>(
		"SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS reserved",
		{ type: QueryTypes.SELECT }
	);
	const sessions = await sequelize.query<{ application_name: string | null; connections: number }>(
		"SELECT application_name, count(*)::int AS connections FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY application_name",
		{ type: QueryTypes.SELECT }
	);
	return { maxConnections: settings.max, superuserReserved: settings.reserved, sessions };
}

/**
 * Refuses to start a node whose pool could push PostgreSQL past max_connections: a split deployment
 * adds one pool per process, and when they add up to more than the server takes, connections are
 * refused under load, or a migration or the REPL finds no slot at all. Counts what is connected now:
 * other platform nodes at their whole pool size (their connections say it), other clients as they
 * are, this node's pool, and DATABASE_RESERVED_CONNECTIONS kept free for migrations and the REPL.
 */
export async function checkConnectionCapacity(sequelize: Sequelize, config: PlatformConfig, nodeId: string): Promise<void> {
	const { maxConnections, superuserReserved, sessions } = await usage(sequelize);
	const own = config.faults.databasePoolMax;
	const reserve = config.faults.databaseReservedConnections;
	const platformPools = new Map<string, number>();
	let otherClients = 0;
	for (const { application_name: name, connections } of sessions) {
		const platform = APPLICATION_NAME.exec(name ?? "");
		if (!platform) otherClients += connections;
		else if (platform[2] !== nodeId) platformPools.set(platform[2], Math.max(Number(platform[1]), connections));
	}
	const otherPools = [...platformPools.values()].reduce((sum, n) => sum + n, 0);
	const limit = maxConnections - superuserReserved;
	const needed = otherClients + otherPools + own + reserve;
	if (needed <= limit) return;
	throw new ConfigError(
		"DATABASE_POOL_MAX",
		`the pools would not fit in PostgreSQL's max_connections=${maxConnections} (${superuserReserved} of them reserved for superusers): ` +
			`${platformPools.size} other platform node(s) may hold ${otherPools}, other clients hold ${otherClients}, this node's pool ${own} ` +
			`and ${reserve} kept for migrations and the REPL (DATABASE_RESERVED_CONNECTIONS) make ${needed} of ${limit}. ` +
			`Lower DATABASE_POOL_MAX on the nodes (it is ${own} here), or raise max_connections on the PostgreSQL server`
	);
}
