import net from "node:net";

/**
 * Where the tests find the real PostgreSQL, Redis and NATS. Defaults are this machine's local
 * servers; CI and developers may point elsewhere with TEST_* variables.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

export type BackingService = "postgres" | "redis" | "nats";

const URLS: Record<BackingService, string> = { postgres: TEST_POSTGRES_URL, redis: TEST_REDIS_URL, nats: TEST_NATS_URL };
const DEFAULT_PORTS: Record<BackingService, number> = { postgres: 5432, redis: 6379, nats: 4222 };

const probes = new Map<BackingService, Promise<boolean>>();

function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({ host, port });
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(timeoutMs, () => done(false));
		socket.once("connect", () => done(true));
		socket.once("error", () => done(false));
	});
}

/** Whether the service answers on its port; probed once per test run. */
export function isAvailable(service: BackingService): Promise<boolean> {
	let probe = probes.get(service);
	if (!probe) {
		const url = new URL(URLS[service]);
		probe = tcpOpen(url.hostname, Number(url.port || DEFAULT_PORTS[service]));
		probes.set(service, probe);
	}
	return probe;
}

const reported = new Set<string>();

/**
 * Skips the current suite or test (reporting why, once) unless every named service answers.
 * In CI (CI=true) a missing service is a failure, not a skip: CI must run everything.
 */
export async function requireServices(ctx: Mocha.Context, ...services: BackingService[]): Promise<void> {
	for (const service of services) {
		if (await isAvailable(service)) continue;
		const reason = `${service} is not reachable at ${URLS[service]}`;
		if (process.env.CI === "true") throw new Error(`${reason}, and CI must run every test`);
		if (!reported.has(reason)) {
			reported.add(reason);
			console.log(`      skipped: ${reason} (start it to run these tests)`);
		}
		ctx.skip();
	}
}
