import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Redis } from "ioredis";
import type { Sequelize } from "sequelize";
import type { ServiceBroker } from "moleculer";
import { BACKENDS, startPlatform, usePlatform, type TestPlatform } from "../helpers/platform.ts";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { sleep } from "../helpers/child-processes.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { privateRedis, type BackingServer } from "../../bench/lib/backing-servers.ts";

function me(baseUrl: string, token: string) {
	return http(baseUrl, "GET", "/api/v1/auth/me", { token });
}

async function signOut(baseUrl: string, account: RegisteredUser) {
	return http(baseUrl, "POST", "/api/v1/auth/logout", { token: account.accessToken, body: {} });
}

function sessionOf(accessToken: string): string {
	return JSON.parse(Buffer.from(accessToken.split(".")[1], "base64url").toString()).sid;
}

function authDatabase(broker: ServiceBroker): Sequelize {
	return (broker.getLocalService("auth") as unknown as { sequelize: Sequelize }).sequelize;
}

function denylistKey(namespace: string, account: RegisteredUser): string {
	return `${namespace}:auth:signed-out:${sessionOf(account.accessToken)}`;
}

/** Polls until `check` holds; false if it never did within `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
	for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) {
		if (await check()) return true;
	}
	return check();
}

for (const backend of BACKENDS) {
	describe(`auth: a sign-out holds across restarts (${backend.name})`, function () {
		this.timeout(120_000);
		const platform = usePlatform(backend);

		it("refuses a signed-out access token after the platform restarts (and Redis lost its keys), while other sessions still work", async () => {
			const signedOut = await registerUser(platform.baseUrl);
			const kept = await registerUser(platform.baseUrl);
			expect((await signOut(platform.baseUrl, signedOut)).status).to.equal(204);
			expect((await me(platform.baseUrl, signedOut.accessToken)).status).to.equal(401);
			let redis: Redis | undefined;
			if (platform.config.redisUrl) {
				// What an eviction under allkeys-lru, or a Redis restarted without persistence, does.
				redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
				await redis.connect();
				const key = denylistKey(platform.config.namespace, signedOut);
				expect(await eventually(async () => (await redis!.exists(key)) === 1, 5_000), "copied to Redis").to.equal(true);
				expect(await redis.del(key)).to.equal(1);
			}
			try {
				await platform.restart();
				expect((await me(platform.baseUrl, signedOut.accessToken)).status).to.equal(401);
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: signedOut.refreshToken } })).status).to.equal(401);
				expect((await me(platform.baseUrl, kept.accessToken)).status).to.equal(200);
				if (redis) {
					// The restarted node put it back in Redis for the nodes that ask there.
					const refilled = await eventually(async () => (await redis!.exists(denylistKey(platform.config.namespace, signedOut))) === 1, 10_000);
					expect(refilled, "denylist key refilled in Redis").to.equal(true);
				}
			} finally {
				redis?.disconnect();
			}
		});

		it("answers 503 and keeps the session when the sign-out cannot be written durably, never a 204 that would not hold", async () => {
			const account = await registerUser(platform.baseUrl);
			const db = authDatabase(platform.broker);
			const postgres = db.getDialect() === "postgres";
			// A database that refuses the write (full disk, lost permissions): a trigger that fails every insert.
			if (postgres) {
				await db.query(`CREATE FUNCTION refuse_revocation() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`);
				await db.query("CREATE TRIGGER refuse_revocation BEFORE INSERT ON auth_session_revocations FOR EACH ROW EXECUTE FUNCTION refuse_revocation()");
			} else {
				await db.query("CREATE TRIGGER refuse_revocation BEFORE INSERT ON auth_session_revocations BEGIN SELECT RAISE(ABORT, 'disk full'); END");
			}
			try {
				const refused = await signOut(platform.baseUrl, account);
				expect(refused.status).to.equal(503);
				expect(refused.body).to.deep.equal({
					error: { type: "SERVICE_UNAVAILABLE", message: "Could not sign out right now: the sign-in stays valid; try again shortly", code: 503 },
				});
				// Nothing half done: the session is not revoked anywhere (its refresh token still works).
				expect((await me(platform.baseUrl, account.accessToken)).status).to.equal(200);
				const refreshed = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } });
				expect(refreshed.status).to.equal(200);
				account.accessToken = refreshed.body.accessToken;
			} finally {
				await db.query(postgres ? "DROP TRIGGER refuse_revocation ON auth_session_revocations" : "DROP TRIGGER refuse_revocation");
				if (postgres) await db.query("DROP FUNCTION refuse_revocation()");
			}
			expect((await signOut(platform.baseUrl, account)).status).to.equal(204);
			expect((await me(platform.baseUrl, account.accessToken)).status).to.equal(401);
		});
	});
}

describe("auth: a sign-out made while Redis refuses connections holds (private Redis, stopped and started)", function () {
	this.timeout(120_000);
	let redis: BackingServer;
	let client: Redis;

	// Registered before usePlatform's hooks, so Redis runs before the platform starts.
	before(async () => {
		redis = await privateRedis();
		await redis.start();
		client = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => 200 });
		client.on("error", () => {});
	});
	const platform = usePlatform(() => ({ env: { REDIS_URL: redis.url } }));
	after(async () => {
		client?.disconnect();
		await redis?.stop();
	});

	async function inRedis(account: RegisteredUser): Promise<boolean> {
		if (client.status !== "ready") await client.connect().catch(() => {});
		return (await client.exists(denylistKey(platform.config.namespace, account)).catch(() => 0)) === 1;
	}

	it("refuses the token after Redis and the auth service both restart (Redis came back empty)", async () => {
		const account = await registerUser(platform.baseUrl);
		await redis.stop();
		expect((await signOut(platform.baseUrl, account)).status).to.equal(204);
		expect((await me(platform.baseUrl, account.accessToken)).status).to.equal(401);
		await redis.start();
		await platform.restart();
		expect((await me(platform.baseUrl, account.accessToken)).status).to.equal(401);
		expect(await eventually(() => inRedis(account), 10_000), "refilled in Redis at start").to.equal(true);
	});

	it("puts sign-outs made during the outage into Redis once it is back, without a restart", async () => {
		const account = await registerUser(platform.baseUrl);
		await redis.stop();
		expect((await signOut(platform.baseUrl, account)).status).to.equal(204);
		await redis.start();
		// ioredis reconnects within a few seconds (its backoff tops out at 2 s); the refill follows.
		expect(await eventually(() => inRedis(account), 20_000), "refilled in Redis after the reconnect").to.equal(true);
		expect((await me(platform.baseUrl, account.accessToken)).status).to.equal(401);
	});
});

describe("auth: sign-outs reach every auth node over NATS, with Redis unreachable", function () {
	this.timeout(120_000);
	let db: TestDatabase | undefined;
	const nodes: TestPlatform[] = [];
	let env: Record<string, string>;
	let dataDirs: string[] = [];

	async function startNode(): Promise<TestPlatform> {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "revocation-node-"));
		dataDirs.push(dataDir);
		const node = await startPlatform({ services: ["api", "auth"], env: { ...env, DATA_DIR: dataDir, NODE_ID: `${env.NAMESPACE}-${nodes.length}` } });
		nodes.push(node);
		return node;
	}

	before(async function () {
		await requireServices(this, "postgres", "nats");
		db = await createTestDatabase();
		// Port 1 refuses connections: Redis cannot carry the news, only the bus and the database can.
		// (Quiet unless asked: the cacher logs every failed reconnect.)
		env = { TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: "redis://127.0.0.1:1", NAMESPACE: `rv${Date.now().toString(36)}`, JWT_SECRET: "revocation-test-secret-0123456789abcdef", LOG_LEVEL: process.env.LOG_LEVEL ?? "fatal" };
		await startNode();
		await startNode();
	});

	after(async () => {
		for (const node of nodes.reverse()) await node.stop();
		for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
		dataDirs = [];
		await db?.drop();
	});

	it("stops the token on the other node before the 204 (it is told), and on a node that starts later (it loads them)", async () => {
		const [a, b] = nodes;
		const account = await registerUser(a.baseUrl);
		expect((await me(b.baseUrl, account.accessToken)).status).to.equal(200);
		expect((await signOut(a.baseUrl, account)).status).to.equal(204);
		expect((await me(b.baseUrl, account.accessToken)).status).to.equal(401);
		const late = await startNode();
		expect((await me(late.baseUrl, account.accessToken)).status).to.equal(401);
	});

	it("picks up a revocation whose notice never arrived from the database within seconds", async () => {
		const [a, b] = nodes;
		const account = await registerUser(b.baseUrl);
		expect((await me(b.baseUrl, account.accessToken)).status).to.equal(200);
		// As a node that committed the sign-out and then lost the bus before telling the others.
		const now = Date.now();
		await authDatabase(a.broker).query("INSERT INTO auth_session_revocations (session_id, revoked_at, expires_at) VALUES (:sid, :now, :until)", {
			replacements: { sid: sessionOf(account.accessToken), now, until: now + 16 * 60_000 },
		});
		expect(await eventually(async () => (await me(b.baseUrl, account.accessToken)).status === 401, 30_000), "refused after catching up").to.equal(true);
	});
});
