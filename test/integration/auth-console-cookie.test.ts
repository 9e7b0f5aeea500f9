import { expect } from "chai";
import { parseSetCookie, type SetCookie } from "cookie";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http, type HttpResult } from "../helpers/http.ts";
import { registerUser, strongPassword, uniqueEmail } from "../helpers/users.ts";

const CONSOLE = { "x-console": "1" };
const THIRTY_DAYS = 30 * 24 * 60 * 60;
const INVALID_CREDENTIAL = { error: { type: "UNAUTHORIZED", message: "Invalid or expired credential", code: 401 } };

/** The one Set-Cookie of an answer, parsed; fails the test when there is not exactly one. */
function setCookieOf(res: HttpResult): SetCookie {
	const headers = res.headers.getSetCookie();
	expect(headers, "Set-Cookie headers").to.have.length(1);
	return parseSetCookie(headers[0]);
}

/** A refresh cookie as the browser keeps it: the right name and every protective attribute. */
function expectRefreshCookie(res: HttpResult): string {
	const cookie = setCookieOf(res);
	expect(cookie).to.include({ name: "refresh_token", httpOnly: true, secure: true, sameSite: "strict", path: "/api/v1/auth", maxAge: THIRTY_DAYS });
	expect(cookie.domain).to.equal(undefined);
	expect(cookie.value).to.match(/^drt_[\w-]{43}$/);
	return cookie.value!;
}

function withCookie(token: string, extra: Record<string, string> = CONSOLE) {
	return { ...extra, cookie: `theme=dark; refresh_token=${token}; other=1` };
}

for (const backend of BACKENDS) {
	describe(`auth: the web console's refresh cookie (${backend.name})`, function () {
		const platform = usePlatform(backend);

		/** Registers through the console: the access token from the body, the refresh token from the cookie. */
		async function consoleRegister() {
			const email = uniqueEmail("console");
			const password = strongPassword();
			const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password }, headers: CONSOLE });
			expect(res.status, res.text).to.equal(201);
			return { email, password, accessToken: res.body.accessToken as string, cookie: expectRefreshCookie(res), res };
		}

		function refreshByCookie(token: string, headers = withCookie(token)) {
			return http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: {}, headers });
		}

		function me(token: string) {
			return http(platform.baseUrl, "GET", "/api/v1/auth/me", { token });
		}

		it("register with X-Console sets an httpOnly, Secure, SameSite=Strict cookie and leaves refreshToken out of the body", async () => {
			const { res, accessToken } = await consoleRegister();
			expect(res.body).to.have.all.keys("user", "accessToken", "expiresIn");
			expect(res.text).not.to.include("drt_");
			expect(res.headers.get("location")).to.equal("/api/v1/auth/me");
			expect((await me(accessToken)).status).to.equal(200);
		});

		it("login with X-Console does the same, with a cookie of its own", async () => {
			const account = await consoleRegister();
			const res = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email: account.email, password: account.password }, headers: CONSOLE });
			expect(res.status).to.equal(200);
			expect(res.body).to.have.all.keys("user", "accessToken", "expiresIn");
			expect(expectRefreshCookie(res)).not.to.equal(account.cookie);
		});

		it("refresh by cookie rotates it; the old cookie again is 401 and ends the whole sign-in", async () => {
			const account = await consoleRegister();
			const rotated = await refreshByCookie(account.cookie);
			expect(rotated.status, rotated.text).to.equal(200);
			expect(rotated.body).to.have.all.keys("user", "accessToken", "expiresIn");
			const next = expectRefreshCookie(rotated);
			expect(next).not.to.equal(account.cookie);
			expect((await me(rotated.body.accessToken)).status).to.equal(200);
			// The new cookie works once more, then its predecessor comes back.
			const again = await refreshByCookie(next);
			expect(again.status).to.equal(200);
			const latest = expectRefreshCookie(again);

			const reuse = await refreshByCookie(next);
			expect(reuse.status).to.equal(401);
			expect(reuse.body).to.deep.equal(INVALID_CREDENTIAL);
			expect((await refreshByCookie(latest)).status).to.equal(401);
			for (const token of [account.accessToken, rotated.body.accessToken, again.body.accessToken]) expect((await me(token)).status).to.equal(401);
		});

		it("refresh prefers a token in the body, and answers it by cookie too", async () => {
			const api = await registerUser(platform.baseUrl);
			const res = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: api.refreshToken }, headers: withCookie("drt_not-this-one") });
			expect(res.status).to.equal(200);
			expect(res.body).not.to.have.property("refreshToken");
			expectRefreshCookie(res);
		});

		it("refresh from the console without any token is 401 with a clear message; a bad cookie is 401 too", async () => {
			const none = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: {}, headers: { ...CONSOLE, cookie: "theme=dark" } });
			expect(none.status).to.equal(401);
			expect(none.body.error).to.deep.equal({ type: "UNAUTHORIZED", message: "Not signed in: no refresh_token cookie; sign in again", code: 401 });
			expect(none.headers.getSetCookie()).to.deep.equal([]);
			for (const value of ["", "drt_unknown", "%E0%A4%A", "x".repeat(4000), '"quoted"']) {
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: {}, headers: { ...CONSOLE, cookie: `refresh_token=${value}` } });
				expect(res.status, value.slice(0, 20)).to.equal(401);
			}
		});

		it("without X-Console nothing changes: the token is in the body, and a cookie alone is not read", async () => {
			const account = await consoleRegister();
			for (const headers of [{}, { "x-console": "true" }, { "x-console": "0" }] as Record<string, string>[]) {
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email: uniqueEmail(), password: strongPassword() }, headers });
				expect(res.status).to.equal(201);
				expect(res.body).to.have.all.keys("user", "accessToken", "refreshToken", "expiresIn");
				expect(res.headers.getSetCookie()).to.deep.equal([]);
			}
			const cookieOnly = await refreshByCookie(account.cookie, withCookie(account.cookie, {}));
			expect(cookieOnly.status).to.equal(422);
			expect(cookieOnly.body.error).to.include({ type: "VALIDATION_ERROR", message: "The 'refreshToken' field is required" });
			// The cookie was not used up by that attempt.
			expect((await refreshByCookie(account.cookie)).status).to.equal(200);
		});

		it("logout with X-Console ends the cookie's session, clears the cookie and stops the access token", async () => {
			const account = await consoleRegister();
			// A second sign-in of the same account whose cookie is the one sent: both sessions end.
			const other = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email: account.email, password: account.password }, headers: CONSOLE });
			const otherCookie = expectRefreshCookie(other);
			const res = await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: account.accessToken, body: {}, headers: withCookie(otherCookie) });
			expect(res.status).to.equal(204);
			const cleared = setCookieOf(res);
			expect(cleared).to.include({ name: "refresh_token", value: "", maxAge: 0, path: "/api/v1/auth", httpOnly: true, secure: true, sameSite: "strict" });
			expect((await me(account.accessToken)).status).to.equal(401);
			expect((await me(other.body.accessToken)).status).to.equal(401);
			expect((await refreshByCookie(account.cookie)).status).to.equal(401);
			expect((await refreshByCookie(otherCookie)).status).to.equal(401);
		});

		it("logout ignores another user's cookie, and clears the cookie even when none was sent", async () => {
			const stranger = await consoleRegister();
			const caller = await consoleRegister();
			const res = await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: caller.accessToken, body: {}, headers: withCookie(stranger.cookie) });
			expect(res.status).to.equal(204);
			expect((await me(stranger.accessToken)).status).to.equal(200);
			expect((await refreshByCookie(stranger.cookie)).status).to.equal(200);

			const bare = await consoleRegister();
			const plain = await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: bare.accessToken, body: {}, headers: CONSOLE });
			expect(plain.status).to.equal(204);
			expect(setCookieOf(plain)).to.include({ name: "refresh_token", maxAge: 0 });
			// Without X-Console logout answers as before, with no cookie.
			const api = await registerUser(platform.baseUrl);
			const apiLogout = await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: api.accessToken, body: {} });
			expect(apiLogout.status).to.equal(204);
			expect(apiLogout.headers.getSetCookie()).to.deep.equal([]);
		});

		it("grants no CORS: another site's preflight for X-Console is not allowed, so its requests never carry the cookie", async () => {
			const preflight = await fetch(`${platform.baseUrl}/api/v1/auth/refresh`, {
				method: "OPTIONS",
				headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-console" },
			});
			expect(preflight.headers.get("access-control-allow-origin")).to.equal(null);
			expect(preflight.headers.get("access-control-allow-headers")).to.equal(null);
			expect(preflight.headers.get("access-control-allow-credentials")).to.equal(null);
			const simple = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: {}, headers: { ...CONSOLE, origin: "https://evil.example" } });
			expect(simple.headers.get("access-control-allow-origin")).to.equal(null);
		});
	});
}
