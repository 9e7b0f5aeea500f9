import type { Redis, RedisOptions } from "ioredis";
import type { PlatformConfig } from "./config.ts";

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

/**
 * The options of every Redis client the platform opens (the cacher, whose connection the rate
 * limits and the session denylist share, and any client of its own a service opens). Redis only
 * speeds things up or counts, so every caller treats a failed command as "no Redis": these options
 * make every way of not answering fail, and fail fast:
 * - down or refusing: no offline queue, one try, a short connect timeout;
 * - hanging (paused, overloaded, a network that drops packets): a command timeout, without which a
 *   command waits for ever and every request behind it with it.
 */
export function redisClientOptions(config: PlatformConfig): RedisOptions {
	if (!config.redisUrl) throw new Error("redisClientOptions: REDIS_URL is not set");
	return {
		...redisConnection(config.redisUrl),
		maxRetriesPerRequest: 1,
		enableOfflineQueue: false,
		connectTimeout: 2_000,
		commandTimeout: config.faults.redisCommandTimeoutMs,
	};
}

/** What ioredis rejects a command with once `commandTimeout` has passed. */
const COMMAND_TIMED_OUT = "Command timed out";

/**
 * A command timed out: Redis is hanging (paused, overloaded, packets dropped). Left alone, every
 * following command would wait out its own timeout, one after another, for as long as the hang
 * lasts. Reconnecting instead makes the client not ready, and a client without an offline queue
 * refuses commands at once until Redis answers its ready check again: a hanging Redis then costs
 * what a down one does (instant misses, local counters) and recovery comes the moment it answers.
 */
export function reconnectWhenHanging(client: Redis, onHang: () => void = () => {}): void {
	const send = client.sendCommand.bind(client);
	client.sendCommand = ((command, stream) => {
		const sent = send(command, stream);
		command.promise.catch((err: Error) => {
			if (err?.message !== COMMAND_TIMED_OUT || client.status !== "ready") return;
			onHang();
			client.disconnect(true);
		});
		return sent;
	}) as Redis["sendCommand"];
}
