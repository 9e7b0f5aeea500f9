import { expect } from "chai";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, type Topology } from "../helpers/topology.ts";
import { http } from "../helpers/http.ts";
import { loginUser, registerUser, strongPassword, uniqueEmail } from "../helpers/users.ts";

/** Enough calls that the gateway's round robin reaches both auth processes several times. */
const CALLS = 12;

describe("auth across NATS (gateway in one process, two auth processes)", function () {
	this.timeout(90_000);
	let db: TestDatabase | undefined;
	let topology: Topology | undefined;
	let base: string;

	async function statusesOfMe(token: string): Promise<number[]> {
		const statuses: number[] = [];
		for (let i = 0; i < CALLS; i++) statuses.push((await http(base, "GET", "/api/v1/auth/me", { token })).status);
		return statuses;
	}

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		topology = await startTopology(
			{ gateway: ["api"], accountsA: ["auth"], accountsB: ["auth"], workers: ["documents", "llm", "optimizer"] },
			{ TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JWT_SECRET: "auth-nats-test-secret-0123456789abcdef" }
		);
		base = topology.baseUrl;
	});

	after(async () => {
		await topology?.stop();
		await db?.drop();
	});

	it("registers, signs in, refreshes and answers me through the bus", async () => {
		const account = await registerUser(base);
		expect(account.user.role).to.equal("user");
		const again = await loginUser(base, account.email.toUpperCase(), account.password);
		expect(again.user.id).to.equal(account.user.id);
		expect(await statusesOfMe(again.accessToken)).to.deep.equal(new Array(CALLS).fill(200));
		const refreshed = await http(base, "POST", "/api/v1/auth/refresh", { body: { refreshToken: again.refreshToken } });
		expect(refreshed.status).to.equal(200);
		const reuse = await http(base, "POST", "/api/v1/auth/refresh", { body: { refreshToken: again.refreshToken } });
		expect(reuse.status).to.equal(401);
		expect(await statusesOfMe(refreshed.body.accessToken)).to.deep.equal(new Array(CALLS).fill(401));
	});

	it("carries the console's refresh cookie both ways: Set-Cookie from an auth process, the cookie back to it", async () => {
		const email = uniqueEmail("console");
		const registered = await http(base, "POST", "/api/v1/auth/register", { body: { email, password: strongPassword() }, headers: { "x-console": "1" } });
		expect(registered.status).to.equal(201);
		expect(registered.body).not.to.have.property("refreshToken");
		let cookie = registered.headers.getSetCookie()[0] ?? "";
		expect(cookie).to.match(/^refresh_token=drt_[\w-]+;/).and.include("HttpOnly");
		// Several rotations, so the round robin hands the cookie to both auth processes.
		for (let i = 0; i < 4; i++) {
			const res = await http(base, "POST", "/api/v1/auth/refresh", { body: {}, headers: { "x-console": "1", cookie: cookie.split(";")[0] } });
			expect(res.status, res.text).to.equal(200);
			cookie = res.headers.getSetCookie()[0] ?? "";
			expect(cookie).to.match(/^refresh_token=drt_/);
		}
	});

	it("stops a signed-out access token on every auth node at once", async () => {
		const account = await registerUser(base);
		expect(await statusesOfMe(account.accessToken)).to.deep.equal(new Array(CALLS).fill(200));
		expect((await http(base, "POST", "/api/v1/auth/logout", { token: account.accessToken, body: {} })).status).to.equal(204);
		expect(await statusesOfMe(account.accessToken)).to.deep.equal(new Array(CALLS).fill(401));
	});

	it("stops a revoked API key on every auth node at once, though each had it cached", async () => {
		const account = await registerUser(base);
		const { body: key } = await http(base, "POST", "/api/v1/auth/api-keys", { token: account.accessToken, body: { name: "bus" } });
		expect(await statusesOfMe(key.key)).to.deep.equal(new Array(CALLS).fill(200));
		expect((await http(base, "DELETE", `/api/v1/auth/api-keys/${key.id}`, { token: account.accessToken })).status).to.equal(204);
		expect(await statusesOfMe(key.key)).to.deep.equal(new Array(CALLS).fill(401));
	});

	it("signs out everywhere else on every auth node at once, also past one notice's 100 sessions", async function () {
		this.timeout(240_000);
		const account = await registerUser(base);
		// More sessions than one auth.sessionsRevoked notice carries (100): the notices go in batches.
		const others = [];
		for (let i = 0; i < 120; i++) others.push(await loginUser(base, account.email, account.password));
		expect((await http(base, "DELETE", "/api/v1/auth/sessions", { token: account.accessToken })).status).to.equal(204);
		for (const other of [others[0], others[60], others[119]]) expect(await statusesOfMe(other.accessToken)).to.deep.equal(new Array(CALLS).fill(401));
		expect(await statusesOfMe(account.accessToken)).to.deep.equal(new Array(CALLS).fill(200));
	});

	it("shares the account lockout between auth nodes", async () => {
		const account = await registerUser(base);
		for (let i = 0; i < 5; i++) {
			const res = await http(base, "POST", "/api/v1/auth/login", { body: { email: account.email, password: `wrong-${i}` }, headers: { "x-forwarded-for": `198.19.0.${i + 1}` } });
			expect(res.status).to.equal(401);
		}
		for (let i = 0; i < 2; i++) {
			const res = await http(base, "POST", "/api/v1/auth/login", { body: { email: account.email, password: account.password }, headers: { "x-forwarded-for": `198.19.1.${i + 1}` } });
			expect(res.status).to.equal(429);
			expect(res.headers.get("retry-after")).to.match(/^\d+$/);
		}
	});
});
