import crypto from "node:crypto";
import { expect } from "chai";
import { Sequelize } from "sequelize";
import { ServiceBroker } from "moleculer";
import { runMigrations } from "../../shared/db/migrations.ts";
import { migrations } from "../../services/auth/migrations/index.ts";
import { SessionDenylist } from "../../services/auth/session-denylist.ts";
import { RevokedSessions } from "../../services/auth/revoked-sessions.ts";
import { Redis } from "ioredis";
import { sleep } from "../helpers/child-processes.ts";
import { requireServices, TEST_REDIS_URL } from "../helpers/backing-services.ts";

const logger = new ServiceBroker({ logger: false }).getLogger("test");

function denylist(maxLocalEntries: number) {
	return new SessionDenylist({ namespace: "test", maxLocalEntries, logger });
}

function revocations(count: number, lifetimeMs: number) {
	return Array.from({ length: count }, () => ({ sessionId: crypto.randomUUID(), expiresAt: Date.now() + lifetimeMs }));
}

describe("auth: session denylist (this node's memory)", () => {
	it("holds revocations until their tokens expire, then forgets them", async () => {
		const list = denylist(10);
		const [short, long] = [...revocations(1, 150), ...revocations(1, 60_000)];
		list.remember([short, long]);
		expect(await list.has(short.sessionId)).to.equal(true);
		expect(await list.has(crypto.randomUUID())).to.equal(false);
		await sleep(200);
		expect(await list.has(short.sessionId)).to.equal(false);
		expect(await list.has(long.sessionId)).to.equal(true);
		list.sweep();
		expect(list.size).to.equal(1);
	});

	it("past its size answers 'unknown' (never 'not revoked') until what it could not hold has expired", async () => {
		const list = denylist(3);
		const held = revocations(3, 60_000);
		const dropped = revocations(2, 300);
		list.remember([...held, ...dropped]);
		expect(list.size).to.equal(3);
		for (const { sessionId } of held) expect(await list.has(sessionId)).to.equal(true);
		for (const { sessionId } of dropped) expect(await list.has(sessionId)).to.equal(undefined);
		expect(await list.has(crypto.randomUUID())).to.equal(undefined);
		await sleep(400);
		expect(await list.has(crypto.randomUUID())).to.equal(false);
	});

	it("makes room by dropping expired entries first", async () => {
		const list = denylist(2);
		list.remember(revocations(2, 100));
		await sleep(150);
		const fresh = revocations(2, 60_000);
		list.remember(fresh);
		for (const { sessionId } of fresh) expect(await list.has(sessionId)).to.equal(true);
		expect(await list.has(crypto.randomUUID())).to.equal(false);
	});
});

describe("auth: session denylist with Redis", () => {
	let redis: Redis | undefined;
	const namespace = `dl${Date.now().toString(36)}`;

	before(async function () {
		await requireServices(this, "redis");
		redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
	});

	after(async () => {
		if (!redis) return;
		const keys = await redis.keys(`${namespace}:*`);
		if (keys.length > 0) await redis.del(...keys);
		redis.disconnect();
	});

	it("does no Redis round trip per check while memory holds every revocation, and asks Redis once it cannot", async () => {
		const list = new SessionDenylist({ redis, namespace, maxLocalEntries: 1, logger });
		const [mine, onlyInRedis] = revocations(2, 60_000);
		await list.share([mine, onlyInRedis]);
		expect(await redis!.pttl(`${namespace}:auth:signed-out:${mine.sessionId}`)).to.be.within(50_000, 60_000);
		list.remember([mine]);
		// Redis has it (another node's, say), but complete memory answers alone: Redis was not asked.
		expect(await list.has(onlyInRedis.sessionId)).to.equal(false);
		expect(await list.has(mine.sessionId)).to.equal(true);
		// Memory could not hold the next one: from now on a session it does not hold is looked up.
		list.remember(revocations(1, 60_000));
		expect(await list.has(onlyInRedis.sessionId)).to.equal(true);
		expect(await list.has(crypto.randomUUID())).to.equal(undefined);
	});
});

describe("auth: revoked sessions (the database first, the denylist a cache of it)", () => {
	let sequelize: Sequelize;
	const justSignedOut = crypto.randomUUID();

	beforeEach(async () => {
		sequelize = new Sequelize({ dialect: "sqlite", storage: ":memory:", logging: false });
		// auth_sessions as 0001 leaves it, with sign-outs of before the upgrade (dates as Sequelize writes them).
		await sequelize.query("CREATE TABLE auth_sessions (id TEXT PRIMARY KEY, revoked_at DATETIME)");
		const written = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace("T", " ").replace("Z", " +00:00");
		await sequelize.query("INSERT INTO auth_sessions (id, revoked_at) VALUES (:recent, :recentAt), (:old, :oldAt), (:active, NULL)", {
			replacements: { recent: justSignedOut, recentAt: written(60_000), old: crypto.randomUUID(), oldAt: written(3_600_000), active: crypto.randomUUID() },
		});
		// Only the migration under test: later ones expect the tables 0001 makes, which this database has no need of.
		await runMigrations(sequelize, `auth-unit-${crypto.randomUUID()}`, migrations.filter(m => m.name.startsWith("0002-")));
	});

	it("carries sign-outs made just before the upgrade into the new table", async () => {
		const sessions = new RevokedSessions(sequelize, denylist(100));
		expect(await sessions.load()).to.equal(1);
		expect(await sessions.isRevoked(justSignedOut)).to.equal(true);
	});

	afterEach(() => sequelize.close());

	it("answers from the database for sign-outs memory could not hold", async () => {
		const sessions = new RevokedSessions(sequelize, denylist(2));
		const signedOut = revocations(5, 60_000);
		await sessions.record(signedOut);
		sessions.spread(signedOut);
		for (const { sessionId } of signedOut) expect(await sessions.isRevoked(sessionId), sessionId).to.equal(true);
		expect(await sessions.isRevoked(crypto.randomUUID())).to.equal(false);
	});

	it("loads what is in force at start, and catches up on what other nodes wrote since", async () => {
		const writer = new RevokedSessions(sequelize, denylist(100));
		const before = revocations(3, 60_000);
		await writer.record([...before, ...revocations(2, -1000)]);
		const reader = new RevokedSessions(sequelize, denylist(100));
		expect(await reader.load()).to.equal(4);
		const later = revocations(2, 60_000);
		await writer.record(later);
		expect(await reader.isRevoked(later[0].sessionId)).to.equal(false);
		await reader.catchUp();
		for (const { sessionId } of [...before, ...later]) expect(await reader.isRevoked(sessionId)).to.equal(true);
		await writer.purgeExpired();
		const [rows] = (await sequelize.query("SELECT COUNT(*) AS count FROM auth_session_revocations")) as [{ count: number }[], unknown];
		expect(Number(rows[0].count)).to.equal(6);
	});
});
