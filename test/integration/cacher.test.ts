import { expect } from "chai";
import crypto from "node:crypto";
import { ServiceBroker, type Context, type ServiceSchema } from "moleculer";
import { loadConfig } from "../../shared/config.ts";
import { createBrokerOptions, redisConnection } from "../../shared/broker-options.ts";
import { BoundedMemoryCacher } from "../../shared/bounded-memory-cacher.ts";
import { cachedRead, invalidateScopes } from "../../shared/generational-cache.ts";
import { requireServices, TEST_REDIS_URL } from "../helpers/backing-services.ts";

/** A cached action that counts how often it really runs, keyed like the platform's reads (owner + id). */
function probeService(calls: Map<string, number>, payloadBytes = 100): ServiceSchema {
	return {
		name: "probe",
		actions: {
			read: {
				cache: { keys: ["#user.id", "id"] },
				handler(ctx: Context<{ id: string }, { user: { id: string } }>) {
					const key = `${ctx.meta.user.id}/${ctx.params.id}`;
					calls.set(key, (calls.get(key) ?? 0) + 1);
					return { id: ctx.params.id, owner: ctx.meta.user.id, body: "x".repeat(payloadBytes) };
				},
			},
		},
	};
}

async function startBroker(options: ConstructorParameters<typeof ServiceBroker>[0], service: ServiceSchema): Promise<ServiceBroker> {
	const broker = new ServiceBroker({ ...options, logger: false });
	broker.createService(service);
	await broker.start();
	return broker;
}

/** The Redis cacher fails fast while it connects (no offline queue); wait until it is connected. */
async function redisReady(broker: ServiceBroker): Promise<void> {
	const client = (broker.cacher as unknown as { client: { status: string } }).client;
	for (let i = 0; i < 100 && client.status !== "ready"; i++) await new Promise(r => setTimeout(r, 20));
}

const read = (broker: ServiceBroker, id: string, user = "alice") => broker.call("probe.read", { id }, { meta: { user: { id: user } } });

describe("cachers", () => {
	describe("bounded in-memory cacher", () => {
		it("answers repeated reads from memory, separately per user", async () => {
			const calls = new Map<string, number>();
			const broker = await startBroker({ cacher: new BoundedMemoryCacher({ max: 100, maxBytes: 1_000_000, ttl: 60 }) }, probeService(calls));
			try {
				await read(broker, "a");
				await read(broker, "a");
				await read(broker, "a", "bob");
				expect(calls.get("alice/a")).to.equal(1);
				expect(calls.get("bob/a")).to.equal(1);
			} finally {
				await broker.stop();
			}
		});

		it("evicts the least recently used values once their total size passes the byte bound", async () => {
			const calls = new Map<string, number>();
			// 10 KB values (about 20 KB as UTF-16 JSON) in a 300 KB cache: only the latest dozen or so fit.
			const broker = await startBroker({ cacher: new BoundedMemoryCacher({ max: 1000, maxBytes: 300_000, ttl: 60 }) }, probeService(calls, 10_000));
			try {
				for (let i = 0; i < 20; i++) await read(broker, `doc-${i}`);
				await read(broker, "doc-19");
				await read(broker, "doc-0");
				expect(calls.get("alice/doc-19"), "recent value stays cached").to.equal(1);
				expect(calls.get("alice/doc-0"), "oldest value was evicted").to.equal(2);
			} finally {
				await broker.stop();
			}
		});
	});

	describe("Redis cacher", () => {
		it("shares cached answers between brokers through Redis", async function () {
			await requireServices(this, "redis");
			const namespace = `cache-${crypto.randomBytes(4).toString("hex")}`;
			const options = createBrokerOptions(loadConfig({ REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace, LOG_LEVEL: "error" }));
			const calls = new Map<string, number>();
			const first = await startBroker(options, probeService(calls));
			const second = await startBroker(createBrokerOptions(loadConfig({ REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace, LOG_LEVEL: "error" })), probeService(calls));
			try {
				await Promise.all([redisReady(first), redisReady(second)]);
				await read(first, "shared");
				// The cacher stores the answer after replying; give the write a moment to land.
				await new Promise(r => setTimeout(r, 100));
				const fromSecond = (await read(second, "shared")) as { owner: string };
				expect(fromSecond.owner).to.equal("alice");
				expect(calls.get("alice/shared")).to.equal(1);
			} finally {
				await first.cacher?.clean();
				await first.stop();
				await second.stop();
			}
		});

		it("serves every read, uncached, while Redis is unreachable", async () => {
			// Port 1 refuses connections: every Redis command fails at once.
			const options = createBrokerOptions(loadConfig({ REDIS_URL: "redis://127.0.0.1:1", LOG_LEVEL: "fatal" }));
			const calls = new Map<string, number>();
			const broker = await startBroker(options, probeService(calls));
			try {
				const answers = [];
				for (const id of ["a", "a", "b"]) {
					answers.push(await read(broker, id));
					// Long enough for a working cache to have stored the answer.
					await new Promise(r => setTimeout(r, 100));
				}
				expect(answers.map(a => (a as { id: string }).id)).to.deep.equal(["a", "a", "b"]);
				// Nothing was cached: the cacher really talks to the unreachable Redis it was given.
				expect(calls.get("alice/a")).to.equal(2);
			} finally {
				await broker.stop();
			}
		});
	});
});

/** A value the test can change, read through the generational cache; counts the real loads. */
function versionedRow(initial: string) {
	const row = { value: initial, loads: 0 };
	const read = (broker: ServiceBroker, gate?: Promise<void>) =>
		cachedRead(broker, "row:alice:1", ["row:1"], async () => {
			row.loads++;
			const seen = row.value;
			await gate;
			return { value: seen };
		});
	return { row, read };
}

const generationalCachers: { name: string; requires: "redis"[]; options: () => ConstructorParameters<typeof ServiceBroker>[0] }[] = [
	{ name: "in-memory", requires: [], options: () => ({ cacher: new BoundedMemoryCacher({ max: 100, maxBytes: 1_000_000, ttl: 60 }) }) },
	{
		name: "Redis",
		requires: ["redis"],
		options: () => createBrokerOptions(loadConfig({ REDIS_URL: TEST_REDIS_URL, NAMESPACE: `gen-${crypto.randomBytes(4).toString("hex")}`, LOG_LEVEL: "error" })),
	},
];

describe("generational cache: a change never leaves a stale entry behind", () => {
	for (const kind of generationalCachers) {
		describe(`${kind.name} cacher`, () => {
			let broker: ServiceBroker;
			beforeEach(async function () {
				await requireServices(this, ...kind.requires);
				broker = await startBroker(kind.options(), { name: "idle" });
				if (kind.name === "Redis") await redisReady(broker);
			});
			afterEach(async () => {
				await broker?.cacher?.clean();
				await broker?.stop();
			});

			it("serves repeated reads from the cache until the scope changes", async () => {
				const { row, read } = versionedRow("v1");
				expect(await read(broker)).to.deep.equal({ value: "v1" });
				expect(await read(broker)).to.deep.equal({ value: "v1" });
				expect(row.loads).to.equal(1);
				row.value = "v2";
				await invalidateScopes(broker, ["row:1"]);
				expect(await read(broker)).to.deep.equal({ value: "v2" });
				expect(row.loads).to.equal(2);
			});

			it("drops the answer of a read that loaded before a change and stored it after the invalidation", async () => {
				const { row, read } = versionedRow("extracting");
				let release = () => {};
				const gate = new Promise<void>(resolve => (release = resolve));
				const slowRead = read(broker, gate); // loads "extracting", then waits
				await new Promise(r => setTimeout(r, 20));
				row.value = "ready";
				await invalidateScopes(broker, ["row:1"]);
				release();
				expect(await slowRead).to.deep.equal({ value: "extracting" }); // its own answer was true when read
				expect(await read(broker)).to.deep.equal({ value: "ready" }); // but it was not kept for others
			});
		});
	}

	it("Redis: one node's change reaches every node's cached reads", async function () {
		await requireServices(this, "redis");
		const options = generationalCachers[1].options();
		const first = await startBroker(options, { name: "idle" });
		const second = await startBroker({ ...options, cacher: createBrokerOptions(loadConfig({ REDIS_URL: TEST_REDIS_URL, NAMESPACE: options!.namespace!, LOG_LEVEL: "error" })).cacher }, { name: "idle" });
		try {
			await Promise.all([redisReady(first), redisReady(second)]);
			const { row, read } = versionedRow("v1");
			await read(first);
			await read(second);
			expect(row.loads, "the second node read the first one's entry").to.equal(1);
			row.value = "v2";
			await invalidateScopes(second, ["row:1"]);
			expect(await read(first)).to.deep.equal({ value: "v2" });
		} finally {
			await first.cacher?.clean();
			await first.stop();
			await second.stop();
		}
	});

	it("Redis: a change made while Redis was unreachable still invalidates once it is back", async function () {
		await requireServices(this, "redis");
		const broker = await startBroker(generationalCachers[1].options(), { name: "idle" });
		const client = (broker.cacher as unknown as { client: { disconnect(): void; connect(): Promise<void>; status: string } }).client;
		try {
			await redisReady(broker);
			const { row, read } = versionedRow("v1");
			await read(broker);
			client.disconnect(); // this node loses Redis; the entry stays there
			while (client.status !== "end") await new Promise(r => setTimeout(r, 10));
			row.value = "v2";
			await invalidateScopes(broker, ["row:1"]); // cannot reach Redis: kept for later
			expect(await read(broker), "read while Redis is unreachable").to.deep.equal({ value: "v2" });
			await client.connect();
			await redisReady(broker);
			expect(await read(broker), "read after Redis is back").to.deep.equal({ value: "v2" });
			expect(row.loads).to.equal(3);
		} finally {
			await broker.cacher?.clean();
			await broker.stop();
		}
	});
});

describe("REDIS_URL as ioredis options", () => {
	it("passes host, port, credentials, database and TLS, since ioredis ignores a `url` option", () => {
		expect(redisConnection("redis://127.0.0.1:6379")).to.deep.equal({ host: "127.0.0.1", port: 6379, db: 0 });
		expect(redisConnection("rediss://user:p%40ss@kv.example.com:6380/3")).to.deep.equal({
			host: "kv.example.com",
			port: 6380,
			username: "user",
			password: "p@ss",
			db: 3,
			tls: {},
		});
		expect(redisConnection("redis://red-abc123").port).to.equal(6379);
	});
});
