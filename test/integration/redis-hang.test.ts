import { expect } from "chai";
import crypto from "node:crypto";
import { ServiceBroker, type Context } from "moleculer";
import type { Redis } from "ioredis";
import { loadConfig } from "../../shared/config.ts";
import { createBrokerOptions } from "../../shared/broker-options.ts";
import { privateRedis, type BackingServer } from "../../bench/lib/backing-servers.ts";
import { sleep } from "../helpers/child-processes.ts";
import { requireServices } from "../helpers/backing-services.ts";

/** Rejects when `promise` takes longer than `ms`: an unfixed hang must fail the test, not stall it. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
	let timer: NodeJS.Timeout;
	const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)));
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A Redis that hangs (SIGSTOP: connections stay open, nothing answers) must cost what a Redis that
 * is down costs: cache misses, not requests that wait as long as the hang lasts. The Redis here is
 * a private redis-server on a free port; the machine's shared one is never paused.
 */
describe("a hanging Redis is a cache miss", function () {
	this.timeout(60_000);
	let redis: BackingServer;
	let broker: ServiceBroker;
	let paused = false;
	const loads = new Map<string, number>();

	before(async function () {
		// The private server is this machine's redis-server binary: where Redis is not installed, skip (CI fails instead).
		await requireServices(this, "redis");
		redis = await privateRedis();
		await redis.start();
		const config = loadConfig({ REDIS_URL: redis.url, NAMESPACE: `hang-${crypto.randomBytes(3).toString("hex")}`, LOG_LEVEL: "fatal" });
		broker = new ServiceBroker({ ...createBrokerOptions(config), logger: false });
		broker.createService({
			name: "probe",
			actions: {
				read: {
					cache: { keys: ["id"] },
					handler(ctx: Context<{ id: string }>) {
						loads.set(ctx.params.id, (loads.get(ctx.params.id) ?? 0) + 1);
						return { id: ctx.params.id };
					},
				},
			},
		});
		await broker.start();
		for (let i = 0; i < 100 && client().status !== "ready"; i++) await sleep(20);
	});

	after(async () => {
		if (paused) redis.resume();
		await broker?.stop();
		await redis?.stop();
	});

	const client = () => (broker.cacher as unknown as { client: Redis }).client;
	const read = (id: string) => broker.call<{ id: string }, { id: string }>("probe.read", { id });

	it("answers cached reads promptly while Redis is paused, and caches again once it resumes", async () => {
		await read("warm");
		await sleep(100);
		expect(loads.get("warm"), "the cache works before the hang").to.equal(1);

		redis.pause();
		paused = true;
		// Without a command timeout each read waits for Redis as long as it is paused (for ever, here).
		for (const id of ["warm", "warm", "other", "warm", "other"]) {
			expect((await within(2_000, `a read while Redis is paused`, read(id))).id).to.equal(id);
		}
		// The hang was noticed: the connection was dropped, so a command is refused at once instead of waiting out its timeout.
		const refusal = await client().get("any").then(() => undefined, (err: Error) => err.message);
		expect(refusal).to.be.a("string").and.not.equal("Command timed out");

		redis.resume();
		paused = false;
		await within(10_000, "the client's reconnection", (async () => {
			while (!(await client().ping().then(() => true, () => false))) await sleep(50);
		})());
		const before = loads.get("again") ?? 0;
		await read("again");
		await sleep(100);
		await read("again");
		expect((loads.get("again") ?? 0) - before, "answers are cached again after the hang").to.equal(1);
	});
});
