import type { BrokerOptions } from "moleculer";
import type { PlatformConfig } from "./config.ts";
import { createLoggerConfig } from "./logger.ts";
import { ResilientRedisCacher } from "./resilient-redis-cacher.ts";
import { busOutageMiddleware } from "./bus-outage.middleware.ts";
import { uploadGateMiddleware } from "./upload-gate.middleware.ts";
import { BoundedMemoryCacher } from "./bounded-memory-cacher.ts";
import { replCommands } from "../repl/index.ts";
import { stopQueuesMiddleware } from "./jobs/stop-queues.middleware.ts";

/** Entries the in-memory cache may hold, from the memory budget (about 2,000 per 512 MB). */
export function memoryCacheEntries(config: PlatformConfig): number {
	return Math.max(200, Math.floor(config.memoryBudgetMb * 4));
}

/** Bytes the in-memory cache may hold: 1/16 of the budget (32 MB of 512). */
export function memoryCacheBytes(config: PlatformConfig): number {
	return Math.floor((config.memoryBudgetMb * 1024 * 1024) / 16);
}

/**
 * REDIS_URL as ioredis connection options. Moleculer hands its `redis` option to `new Redis(options)`,
 * which has no `url` field: given one, it silently connects to 127.0.0.1:6379 instead.
 */
export function redisConnection(redisUrl: string): { host: string; port: number; username?: string; password?: string; db: number; tls?: object } {
	const url = new URL(redisUrl);
	return {
		host: url.hostname,
		port: Number(url.port || 6379),
		...(url.username ? { username: decodeURIComponent(url.username) } : {}),
		...(url.password ? { password: decodeURIComponent(url.password) } : {}),
		db: Number(url.pathname.slice(1) || 0),
		...(url.protocol === "rediss:" ? { tls: {} } : {}),
	};
}

function cacher(config: PlatformConfig): BrokerOptions["cacher"] {
	if (!config.redisUrl) {
		return new BoundedMemoryCacher({ max: memoryCacheEntries(config), maxBytes: memoryCacheBytes(config), ttl: 3600 });
	}
	return new ResilientRedisCacher({
		prefix: `${config.namespace}-cache`,
		ttl: 3600,
		// Fail fast while Redis is down instead of queueing commands until it returns.
		redis: { ...redisConnection(config.redisUrl), maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 } as never,
	} as never);
}

/**
 * The broker options for every process: moleculer.config.ts and the tests both build brokers from
 * this, so what is tested is what runs. Only the environment decides the mode.
 */
export function createBrokerOptions(config: PlatformConfig): BrokerOptions {
	return {
		namespace: config.namespace,
		nodeID: config.nodeId ?? null,
		logger: createLoggerConfig(config.logLevel),
		logLevel: config.logLevel,
		transporter: config.transporter
			? { type: "NATS", options: { url: config.transporter, maxReconnectAttempts: -1, reconnectTimeWait: 500 } }
			: null,
		cacher: cacher(config),
		middlewares: [
			// Only the gateway streams uploads to actions.
			...(config.services.includes("api") ? [uploadGateMiddleware()] : []),
			...(config.transporter ? [busOutageMiddleware()] : []),
			stopQueuesMiddleware(),
		],
		serializer: "JSON",
		requestTimeout: 30_000,
		retryPolicy: { enabled: false },
		// Per-provider breakers live in the llm service; a broker-wide one would also trip on client errors.
		circuitBreaker: { enabled: false },
		tracking: { enabled: true, shutdownTimeout: 10_000 },
		registry: { strategy: "RoundRobin", preferLocal: true },
		// A node that dies without a goodbye is dropped within about 6 s, not Moleculer's default 15.
		heartbeatInterval: 2,
		heartbeatTimeout: 6,
		metrics: {
			enabled: true,
			// Port 0: the reporter's own listener is unused; the gateway serves its text at /metrics.
			reporter: [{ type: "Prometheus", options: { port: 0, includes: ["moleculer.request.**", "moleculer.event.**", "moleculer.cacher.**", "moleculer.transit.**", "process.memory.**", "process.eventloop.**", "platform.**"] } }],
		},
		tracing: false,
		replOptions: { customCommands: replCommands },
		platform: config,
	} as BrokerOptions;
}
