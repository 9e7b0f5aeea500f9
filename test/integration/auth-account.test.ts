import { expect } from "chai";
import type { Sequelize } from "sequelize";
import type { ServiceBroker } from "moleculer";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { sleep } from "../helpers/child-processes.ts";
import { loginUser, registerUser, strongPassword, type RegisteredUser } from "../helpers/users.ts";

const FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_ON_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

let lastOctet = 0;
/** A new client address per call: the suite's gateway trusts one proxy hop, so X-Forwarded-For says who is asking. */
function freshIp(): string {
	lastOctet = (lastOctet + 1) % 250;
	return `198.51.100.${lastOctet + 1}`;
}

function sessionOf(accessToken: string): string {
	return JSON.parse(Buffer.from(accessToken.split(".")[1], "base64url").toString()).sid;
}

function authDatabase(broker: ServiceBroker): Sequelize {
	return (broker.getLocalService("auth") as unknown as { sequelize: Sequelize }).sequelize;
}

/** Makes the database refuse every sign-out record (full disk, lost permissions) while `run` runs. */
async function whileRevocationsAreRefused(db: Sequelize, run: () => Promise<void>): Promise<void> {
	const postgres = db.getDialect() === "postgres";
	if (postgres) {
		await db.query(`CREATE FUNCTION refuse_account_revocation() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`);
		await db.query("CREATE TRIGGER refuse_account_revocation BEFORE INSERT ON auth_session_revocations FOR EACH ROW EXECUTE FUNCTION refuse_account_revocation()");
	} else {
		await db.query("CREATE TRIGGER refuse_account_revocation BEFORE INSERT ON auth_session_revocations BEGIN SELECT RAISE(ABORT, 'disk full'); END");
	}
	try {
		await run();
	} finally {
		await db.query(postgres ? "DROP TRIGGER refuse_account_revocation ON auth_session_revocations" : "DROP TRIGGER refuse_account_revocation");
		if (postgres) await db.query("DROP FUNCTION refuse_account_revocation()");
	}
}

function me(base: string, token: string) {
	return http(base, "GET", "/api/v1/auth/me", { token });
}

function refresh(base: string, refreshToken: string) {
	return http(base, "POST", "/api/v1/auth/refresh", { body: { refreshToken } });
}

function changePassword(base: string, token: string, currentPassword: string, newPassword: string, ip = freshIp()) {
	return http(base, "POST", "/api/v1/auth/password", { token, body: { currentPassword, newPassword }, headers: { "x-forwarded-for": ip } });
}

function login(base: string, email: string, password: string, ip = freshIp()) {
	return http(base, "POST", "/api/v1/auth/login", { body: { email, password }, headers: { "x-forwarded-for": ip } });
}

function listSessions(base: string, token: string) {
	return http(base, "GET", "/api/v1/auth/sessions", { token });
}

/** Whether a session's access token and refresh token still work (the refresh spends the token; callers use it last). */
async function works(base: string, session: RegisteredUser): Promise<{ access: number; refresh: number }> {
	return { access: (await me(base, session.accessToken)).status, refresh: (await refresh(base, session.refreshToken)).status };
}

for (const backend of BACKENDS) {
	describe(`auth: password change and sessions (${backend.name})`, function () {
		this.timeout(120_000);
		const platform = usePlatform(backend, { env: { TRUST_PROXY: "1" } });

		describe("POST /api/v1/auth/password", () => {
			it("refuses a wrong current password with the sign-in's 401, and counts it toward the same lockout as /login", async () => {
				const account = await registerUser(platform.baseUrl);
				for (let i = 0; i < 5; i++) {
					const res = await changePassword(platform.baseUrl, account.accessToken, "wrong-password-" + i, strongPassword());
					expect(res.status).to.equal(401);
					expect(res.body.error).to.deep.equal({ type: "UNAUTHORIZED", message: "Invalid email or password", code: 401 });
				}
				// Five failures at the password form lock the account's sign-in, as five at /login would.
				const locked = await login(platform.baseUrl, account.email, account.password);
				expect(locked.status).to.equal(429);
				expect(locked.body.error.type).to.equal("TOO_MANY_REQUESTS");
				// And the form itself is locked too, even for the right password.
				expect((await changePassword(platform.baseUrl, account.accessToken, account.password, strongPassword())).status).to.equal(429);
				await sleep(1100);
				// Nothing changed: the old password still signs in once the 1 s lock is over.
				expect((await login(platform.baseUrl, account.email, account.password)).status).to.equal(200);
			});

			it("refuses a weak new password with 422 and the reason, and changes nothing", async () => {
				const account = await registerUser(platform.baseUrl);
				const other = await loginUser(platform.baseUrl, account.email, account.password);
				const res = await changePassword(platform.baseUrl, account.accessToken, account.password, "password1234");
				expect(res.status).to.equal(422);
				expect(res.body.error.type).to.equal("VALIDATION_ERROR");
				expect(res.body.error.message).to.match(/^Password is too easy to guess: .+/);
				expect((await changePassword(platform.baseUrl, account.accessToken, account.password, "short")).body.error.message).to.include("at least 12");
				expect((await me(platform.baseUrl, other.accessToken)).status).to.equal(200);
				expect((await login(platform.baseUrl, account.email, account.password)).status).to.equal(200);
			});

			it("refuses missing or oversized fields with 422 before any work", async () => {
				const account = await registerUser(platform.baseUrl);
				const missing = await http(platform.baseUrl, "POST", "/api/v1/auth/password", { token: account.accessToken, body: { newPassword: strongPassword() } });
				expect(missing.status).to.equal(422);
				const huge = await changePassword(platform.baseUrl, account.accessToken, "x".repeat(2000), strongPassword());
				expect(huge.status).to.equal(422);
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/password", { body: { currentPassword: "a", newPassword: "b" } })).status).to.equal(401);
			});

			it("changes the password, signs every other session out at once and keeps this one", async () => {
				const account = await registerUser(platform.baseUrl);
				const second = await loginUser(platform.baseUrl, account.email, account.password);
				const third = await loginUser(platform.baseUrl, account.email, account.password);
				const newPassword = strongPassword();
				const res = await changePassword(platform.baseUrl, second.accessToken, account.password, newPassword);
				expect(res.status).to.equal(204);
				expect(await works(platform.baseUrl, account)).to.deep.equal({ access: 401, refresh: 401 });
				expect(await works(platform.baseUrl, third)).to.deep.equal({ access: 401, refresh: 401 });
				expect(await works(platform.baseUrl, second)).to.deep.equal({ access: 200, refresh: 200 });
				expect((await login(platform.baseUrl, account.email, account.password)).status).to.equal(401);
				expect((await login(platform.baseUrl, account.email, newPassword)).status).to.equal(200);
			});

			it("changes nothing when the other sessions' sign-out cannot be recorded: 503, the old password and every session still work", async () => {
				const account = await registerUser(platform.baseUrl);
				const other = await loginUser(platform.baseUrl, account.email, account.password);
				const newPassword = strongPassword();
				await whileRevocationsAreRefused(authDatabase(platform.broker), async () => {
					const res = await changePassword(platform.baseUrl, account.accessToken, account.password, newPassword);
					expect(res.status).to.equal(503);
					expect(res.body.error).to.deep.equal({ type: "SERVICE_UNAVAILABLE", message: "Could not change the password right now: nothing was changed; try again shortly", code: 503 });
				});
				expect((await me(platform.baseUrl, other.accessToken)).status).to.equal(200);
				expect((await login(platform.baseUrl, account.email, newPassword)).status).to.equal(401);
				expect((await login(platform.baseUrl, account.email, account.password)).status).to.equal(200);
			});
		});

		describe("/api/v1/auth/sessions", () => {
			it("lists the live sessions with device, address, times and which one is current", async () => {
				const registered = await http(platform.baseUrl, "POST", "/api/v1/auth/register", {
					body: { email: `sessions-${Date.now()}@example.test`, password: strongPassword(), name: "S" },
					headers: { "user-agent": FIREFOX_ON_LINUX, "x-forwarded-for": "203.0.113.5" },
				});
				expect(registered.status).to.equal(201);
				const first = registered.body as RegisteredUser;
				const phone = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", {
					body: { refreshToken: first.refreshToken },
					headers: { "user-agent": CHROME_ON_ANDROID, "x-forwarded-for": "203.0.113.77" },
				});
				expect(phone.status).to.equal(200);
				const other = await registerUser(platform.baseUrl);

				const res = await listSessions(platform.baseUrl, phone.body.accessToken);
				expect(res.status).to.equal(200);
				expect(res.body.total).to.equal(1);
				const [session] = res.body.items;
				expect(session).to.include({ id: sessionOf(first.accessToken), device: "Chrome on Android", userAgent: CHROME_ON_ANDROID, ip: "203.0.113.77", current: true });
				expect(Date.parse(session.createdAt)).to.be.a("number").and.not.NaN;
				expect(Date.parse(session.lastUsedAt)).to.be.at.least(Date.parse(session.createdAt));
				// Another user's sessions are not in it.
				expect(res.body.items.map((s: { id: string }) => s.id)).not.to.include(sessionOf(other.accessToken));
			});

			it("shows every sign-in, marks only the caller's as current, and drops signed-out ones", async () => {
				const account = await registerUser(platform.baseUrl);
				const laptop = await http(platform.baseUrl, "POST", "/api/v1/auth/login", {
					body: { email: account.email, password: account.password },
					headers: { "user-agent": FIREFOX_ON_LINUX, "x-forwarded-for": "192.0.2.10" },
				});
				expect(laptop.status).to.equal(200);
				const res = await listSessions(platform.baseUrl, account.accessToken);
				expect(res.body.total).to.equal(2);
				const byId = new Map(res.body.items.map((s: { id: string }) => [s.id, s]));
				expect(byId.get(sessionOf(account.accessToken))).to.include({ current: true });
				expect(byId.get(sessionOf(laptop.body.accessToken))).to.include({ current: false, device: "Firefox on Linux", ip: "192.0.2.10" });
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: laptop.body.accessToken, body: {} })).status).to.equal(204);
				const after = await listSessions(platform.baseUrl, account.accessToken);
				expect(after.body.items.map((s: { id: string }) => s.id)).to.deep.equal([sessionOf(account.accessToken)]);
			});

			it("revokes one of the caller's sessions: its access token stops at once and its refresh token is refused", async () => {
				const account = await registerUser(platform.baseUrl);
				const other = await loginUser(platform.baseUrl, account.email, account.password);
				const res = await http(platform.baseUrl, "DELETE", `/api/v1/auth/sessions/${sessionOf(other.accessToken)}`, { token: account.accessToken });
				expect(res.status).to.equal(204);
				expect(await works(platform.baseUrl, other)).to.deep.equal({ access: 401, refresh: 401 });
				expect(await works(platform.baseUrl, account)).to.deep.equal({ access: 200, refresh: 200 });
				// Already signed out: nothing left to revoke.
				expect((await http(platform.baseUrl, "DELETE", `/api/v1/auth/sessions/${sessionOf(other.accessToken)}`, { token: (await loginUser(platform.baseUrl, account.email, account.password)).accessToken })).status).to.equal(404);
			});

			it("answers 404 for another user's session id and leaves that session alone; 422 for a malformed id", async () => {
				const attacker = await registerUser(platform.baseUrl);
				const victim = await registerUser(platform.baseUrl);
				const res = await http(platform.baseUrl, "DELETE", `/api/v1/auth/sessions/${sessionOf(victim.accessToken)}`, { token: attacker.accessToken });
				expect(res.status).to.equal(404);
				expect(res.body.error).to.deep.equal({ type: "NOT_FOUND", message: "Session not found", code: 404 });
				expect(await works(platform.baseUrl, victim)).to.deep.equal({ access: 200, refresh: 200 });
				expect((await http(platform.baseUrl, "DELETE", "/api/v1/auth/sessions/not-a-uuid", { token: attacker.accessToken })).status).to.equal(422);
			});

			it("signs out everywhere else: every other session stops, the caller's keeps working", async () => {
				const account = await registerUser(platform.baseUrl);
				const others = [await loginUser(platform.baseUrl, account.email, account.password), await loginUser(platform.baseUrl, account.email, account.password)];
				const bystander = await registerUser(platform.baseUrl);
				const res = await http(platform.baseUrl, "DELETE", "/api/v1/auth/sessions", { token: account.accessToken });
				expect(res.status).to.equal(204);
				for (const other of others) expect(await works(platform.baseUrl, other)).to.deep.equal({ access: 401, refresh: 401 });
				const list = await listSessions(platform.baseUrl, account.accessToken);
				expect(list.body.items.map((s: { id: string; current: boolean }) => [s.id, s.current])).to.deep.equal([[sessionOf(account.accessToken), true]]);
				expect(await works(platform.baseUrl, account)).to.deep.equal({ access: 200, refresh: 200 });
				expect(await works(platform.baseUrl, bystander)).to.deep.equal({ access: 200, refresh: 200 });
			});

			it("keeps revocations across a restart (the durable path)", async () => {
				const account = await registerUser(platform.baseUrl);
				const other = await loginUser(platform.baseUrl, account.email, account.password);
				expect((await http(platform.baseUrl, "DELETE", "/api/v1/auth/sessions", { token: account.accessToken })).status).to.equal(204);
				await platform.restart();
				expect(await works(platform.baseUrl, other)).to.deep.equal({ access: 401, refresh: 401 });
				expect((await me(platform.baseUrl, account.accessToken)).status).to.equal(200);
			});
		});
	});
}
