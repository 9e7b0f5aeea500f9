import type { BrokerOptions } from "moleculer";
import type { PlatformConfig } from "./config.ts";
import { createLoggerConfig } from "./logger.ts";
import { ResilientRedisCacher } from "./resilient-redis-cacher.ts";
import { redisClientOptions } from "./redis-options.ts";
import { busOutageMiddleware } from "./bus-outage.middleware.ts";
import { nodeLivenessMiddleware } from "./node-liveness.middleware.ts";
import { safeRetryMiddleware } from "./safe-retry.middleware.ts";
import { gracefulStopMiddleware } from "./graceful-stop.middleware.ts";
import { uploadGateMiddleware } from "./upload-gate.middleware.ts";
import { logContextMiddleware } from "./log-context.middleware.ts";
import { BoundedMemoryCacher } from "./bounded-memory-cacher.ts";
import { replCommands } from "../repl/index.ts";
import { lengthBeforePattern } from "./validation/length-before-pattern.ts";
import { GuardedPrometheusReporter } from "./metrics-access.ts";
import { stopQueuesMiddleware } from "./jobs/stop-queues.middleware.ts";

/** Entries the in-memory cache may hold, from the memory budget (about 2,000 per 512 MB). */
export function memoryCacheEntries(config: PlatformConfig): number {
	return Math.max(200, Math.floor(config.memoryBudgetMb * 4));
}

/** Bytes the in-memory cache may hold: 1/16 of the budget (32 MB of 512). */
export function memoryCacheBytes(config: PlatformConfig): number {
	return Math.floor((config.memoryBudgetMb * 1024 * 1024) / 16);
}

/** Kept here too: the cacher's tests import it from the broker options. */
export { redisConnection } from "./redis-options.ts";

function cacher(config: PlatformConfig): BrokerOptions["cacher"] {
	if (!config.redisUrl) {
		return new BoundedMemoryCacher({ max: memoryCacheEntries(config), maxBytes: memoryCacheBytes(config), ttl: 3600 });
	}
	return new ResilientRedisCacher({
		prefix: `${config.namespace}-cache`,
		ttl: 3600,
		// Fail fast while Redis is down or hanging instead of queueing commands until it answers.
		redis: redisClientOptions(config) as never,
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
			gracefulStopMiddleware(config),
			// Only the gateway streams uploads to actions.
			...(config.services.includes("api") ? [uploadGateMiddleware()] : []),
			...(config.transporter ? [busOutageMiddleware(), nodeLivenessMiddleware(config), safeRetryMiddleware()] : []),
			stopQueuesMiddleware(),
			// Last, so outermost of these (Moleculer wraps in order): what the others log while serving a request names it too.
			logContextMiddleware(),
		],
		// Every action's params: a string over its max is refused before any pattern runs on it.
		validator: { type: "Fastest", options: { plugins: [lengthBeforePattern] } },
		serializer: "JSON",
		requestTimeout: 30_000,
		retryPolicy: { enabled: false },
		// Per-provider breakers live in the llm service; a broker-wide one would also trip on client errors.
		circuitBreaker: { enabled: false },
		// The wait for requests in flight; gracefulStopMiddleware sets it from SHUTDOWN_TIMEOUT_MS when a stop begins.
		tracking: { enabled: true, shutdownTimeout: config.faults.shutdownTimeoutMs },
		registry: { strategy: "RoundRobin", preferLocal: true },
		// Moleculer's own check, a backstop: nodeLivenessMiddleware drops a silent node within NODE_TIMEOUT_MS.
		heartbeatInterval: 2,
		heartbeatTimeout: 6,
		metrics: {
			enabled: true,
			// No listener of its own unless METRICS_PORT asks; the gateway serves the text at /metrics behind METRICS_TOKEN.
			// Moleculer takes reporter instances; its types only list names and option objects.
			reporter: [
				new GuardedPrometheusReporter({
					access: config.metrics,
					host: config.host,
					includes: ["moleculer.request.**", "moleculer.event.**", "moleculer.cacher.**", "moleculer.transit.**", "process.memory.**", "process.eventloop.**", "platform.**"],
				}) as never,
			],
		},
		tracing: false,
		replOptions: { customCommands: replCommands },
		platform: config,
	} as BrokerOptions;
}
