import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { BACKENDS, startPlatform, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { loginUser, registerAdmin, registerUser, strongPassword, uniqueEmail } from "../helpers/users.ts";

const INVALID_CREDENTIAL = { error: { type: "UNAUTHORIZED", message: "Invalid or expired credential", code: 401 } };

for (const backend of BACKENDS) {
	describe(`auth: accounts, sessions and API keys (${backend.name})`, function () {
		const platform = usePlatform(backend);

		describe("register", () => {
			it("creates an account and signs it in: 201 {user, accessToken, refreshToken, expiresIn}", async () => {
				const email = uniqueEmail("Mixed.Case");
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password: strongPassword(), name: "Ada" } });
				expect(res.status).to.equal(201);
				expect(res.body).to.have.all.keys("user", "accessToken", "refreshToken", "expiresIn");
				expect(res.body.user).to.include({ email: email.toLowerCase(), name: "Ada", role: "user" });
				expect(res.body.user).to.have.all.keys("id", "email", "name", "role", "createdAt");
				expect(res.body.accessToken.split(".")).to.have.length(3);
				expect(res.body.refreshToken).to.be.a("string").with.length.above(40);
				expect(res.body.expiresIn).to.equal(900);
				expect(res.text).not.to.match(/password/i);
			});

			it("treats emails case-insensitively: the same address in other case is 409", async () => {
				const first = await registerUser(platform.baseUrl);
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email: `  ${first.email.toUpperCase()} `, password: strongPassword() } });
				expect(res.status).to.equal(409);
				expect(res.body.error).to.include({ type: "CONFLICT", code: 409 });
			});

			it("keeps only one account when the same address registers twice at once", async () => {
				const email = uniqueEmail("race");
				const answers = await Promise.all(
					[1, 2, 3].map(() => http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password: strongPassword() } }))
				);
				expect(answers.map(a => a.status).sort()).to.deep.equal([201, 409, 409]);
			});

			it("rejects passwords that are short, long, common or the email itself, with 422 and nothing stored", async () => {
				const email = uniqueEmail("weak");
				const weak = ["Sh0rt!pass", "x".repeat(3) + "y".repeat(254), "qwerty123456", "1q2w3e4r5t6y", "QWERTY123456", "aaaaaaaaaaaaaaaa", `${email}!!`];
				for (const password of weak) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password } });
					expect(res.status, password).to.equal(422);
					expect(res.body.error.type).to.equal("VALIDATION_ERROR");
				}
				// Nothing was written: the address is still free and cannot sign in.
				const login = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email, password: weak[0] } });
				expect(login.status).to.equal(401);
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password: strongPassword() } })).status).to.equal(201);
			});

			it("accepts 12 and 256 characters, counting characters rather than bytes", async () => {
				await registerUser(platform.baseUrl, { password: "Zq8#vLp2!mWx" });
				const long = await registerUser(platform.baseUrl, { password: "Ünïcødé-😀".repeat(28) + "ab12" });
				expect([...long.password]).to.have.length(256);
				const tooLong = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email: uniqueEmail(), password: long.password + "x" } });
				expect(tooLong.status).to.equal(422);
			});

			it("hashes the whole password: a prefix or an extension of it does not sign in", async () => {
				const password = strongPassword() + "-" + "tail".repeat(40);
				const { email } = await registerUser(platform.baseUrl, { password });
				for (const wrong of [password.slice(0, 72), password.slice(0, -1), password + "x"]) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email, password: wrong }, headers: { "x-forwarded-for": "198.51.100.7" } });
					expect(res.status, `${wrong.length} characters`).to.equal(401);
				}
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email, password } })).status).to.equal(200);
			});

			it("treats the same characters in composed and decomposed Unicode as one password", async () => {
				const composed = "Caf\u00e9-Cr\u00e8me-Br\u00fbl\u00e9e-42";
				const { email } = await registerUser(platform.baseUrl, { password: composed });
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email, password: composed.normalize("NFD") } });
				expect(res.status).to.equal(200);
			});
		});

		describe("login", () => {
			it("signs in with the same answer shape as register, any email case", async () => {
				const account = await registerUser(platform.baseUrl);
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email: account.email.toUpperCase(), password: account.password } });
				expect(res.status).to.equal(200);
				expect(res.body).to.have.all.keys("user", "accessToken", "refreshToken", "expiresIn");
				expect(res.body.user.id).to.equal(account.user.id);
				expect(res.body.refreshToken).not.to.equal(account.refreshToken);
			});

			it("answers a wrong password and an unknown email with the same 401 body", async () => {
				const account = await registerUser(platform.baseUrl);
				const wrong = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email: account.email, password: account.password + "?" } });
				const unknown = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email: uniqueEmail("nobody"), password: account.password } });
				expect(wrong.status).to.equal(401);
				expect(unknown.status).to.equal(401);
				expect(wrong.body).to.deep.equal({ error: { type: "UNAUTHORIZED", message: "Invalid email or password", code: 401 } });
				expect(unknown.text).to.equal(wrong.text);
			});
		});

		describe("me", () => {
			it("answers the caller's own account", async () => {
				const account = await registerUser(platform.baseUrl, { name: "Grace" });
				const res = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: account.accessToken });
				expect(res.status).to.equal(200);
				expect(res.body).to.deep.equal({ ...account.user });
			});

			it("needs a credential", async () => {
				const res = await http(platform.baseUrl, "GET", "/api/v1/auth/me");
				expect(res.status).to.equal(401);
				expect(res.body.error).to.include({ type: "UNAUTHORIZED", code: 401 });
				for (const header of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "token abc"]) {
					const bad = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { headers: { authorization: header } });
					expect(bad.status, header).to.equal(401);
				}
			});
		});

		describe("refresh", () => {
			it("rotates: a new pair each time, and the new access token works", async () => {
				const account = await registerUser(platform.baseUrl);
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } });
				expect(res.status).to.equal(200);
				expect(res.body).to.have.all.keys("user", "accessToken", "refreshToken", "expiresIn");
				expect(res.body.refreshToken).not.to.equal(account.refreshToken);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: res.body.accessToken })).status).to.equal(200);
				const again = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: res.body.refreshToken } });
				expect(again.status).to.equal(200);
			});

			it("on reuse of a rotated token answers 401 and revokes the whole family, leaving other sign-ins alone", async () => {
				const account = await registerUser(platform.baseUrl);
				const otherSession = await loginUser(platform.baseUrl, account.email, account.password);
				const rotated = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } });
				expect(rotated.status).to.equal(200);

				const reuse = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } });
				expect(reuse.status).to.equal(401);
				expect(reuse.body).to.deep.equal(INVALID_CREDENTIAL);
				// The thief's or the owner's newer token: the family is gone either way.
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: rotated.body.refreshToken } })).status).to.equal(401);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: rotated.body.accessToken })).status).to.equal(401);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: account.accessToken })).status).to.equal(401);

				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: otherSession.accessToken })).status).to.equal(200);
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: otherSession.refreshToken } })).status).to.equal(200);
			});

			it("lets only one of two simultaneous uses of a token win", async () => {
				const account = await registerUser(platform.baseUrl);
				const answers = await Promise.all(
					[1, 2].map(() => http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } }))
				);
				expect(answers.filter(a => a.status === 200)).to.have.length.at.most(1);
				expect(answers.filter(a => a.status === 401)).to.have.length.at.least(1);
			});

			it("refuses unknown, empty and non-string refresh tokens", async () => {
				for (const refreshToken of ["drt_unknown", "", 42, null, { $ne: "" }]) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken } });
					expect(res.status, JSON.stringify(refreshToken)).to.be.oneOf([401, 422]);
					expect(res.body.error).to.have.all.keys("type", "message", "code", ...(res.status === 422 ? ["details"] : []));
				}
			});
		});

		describe("logout", () => {
			it("answers 204 and the access token stops working at once, with its refresh token", async () => {
				const account = await registerUser(platform.baseUrl);
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: account.accessToken, body: {} });
				expect(res.status).to.equal(204);
				expect(res.text).to.equal("");
				expect(await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: account.accessToken })).to.include({ status: 401 });
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } })).status).to.equal(401);
			});

			it("also ends the session of a refresh token given in the body, but only the caller's own", async () => {
				const account = await registerUser(platform.baseUrl);
				const laptop = await loginUser(platform.baseUrl, account.email, account.password);
				const stranger = await registerUser(platform.baseUrl);
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/logout", {
					token: account.accessToken,
					body: { refreshToken: laptop.refreshToken },
				});
				expect(res.status).to.equal(204);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: laptop.accessToken })).status).to.equal(401);
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: laptop.refreshToken } })).status).to.equal(401);

				const other = await loginUser(platform.baseUrl, account.email, account.password);
				await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: other.accessToken, body: { refreshToken: stranger.refreshToken } });
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: stranger.accessToken })).status).to.equal(200);
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: stranger.refreshToken } })).status).to.equal(200);
			});

			it("needs a credential", async () => {
				expect((await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { body: {} })).status).to.equal(401);
			});
		});

		describe("API keys", () => {
			it("creates a key shown once with a visible prefix, lists it without the key, and signs in with it", async () => {
				const account = await registerUser(platform.baseUrl);
				const created = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: account.accessToken, body: { name: "CI pipeline" } });
				expect(created.status).to.equal(201);
				expect(created.body).to.include({ name: "CI pipeline", lastUsedAt: null });
				expect(created.body.key.startsWith(created.body.prefix)).to.equal(true);
				expect(created.body.prefix.length).to.be.within(8, 16);

				const me = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: created.body.key });
				expect(me.status).to.equal(200);
				expect(me.body.id).to.equal(account.user.id);

				const list = await http(platform.baseUrl, "GET", "/api/v1/auth/api-keys", { token: account.accessToken });
				expect(list.status).to.equal(200);
				expect(list.body).to.have.length(1);
				expect(list.body[0]).to.include({ id: created.body.id, name: "CI pipeline", prefix: created.body.prefix });
				expect(list.body[0].lastUsedAt).to.be.a("string");
				expect(list.text).not.to.include(created.body.key);
			});

			it("revokes a key with DELETE: 204, then 401 for the key and 404 for a second delete", async () => {
				const account = await registerUser(platform.baseUrl);
				const { body: key } = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: account.accessToken, body: { name: "temp" } });
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: key.key })).status).to.equal(200);
				const del = await http(platform.baseUrl, "DELETE", `/api/v1/auth/api-keys/${key.id}`, { token: account.accessToken });
				expect(del.status).to.equal(204);
				const after = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: key.key });
				expect(after.status).to.equal(401);
				expect(after.body.error).to.include({ type: "UNAUTHORIZED", code: 401 });
				expect((await http(platform.baseUrl, "DELETE", `/api/v1/auth/api-keys/${key.id}`, { token: account.accessToken })).status).to.equal(404);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/api-keys", { token: account.accessToken })).body).to.deep.equal([]);
			});

			it("keeps keys private: another user's key is invisible and deleting it is 404", async () => {
				const owner = await registerUser(platform.baseUrl);
				const other = await registerUser(platform.baseUrl);
				const { body: key } = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: owner.accessToken, body: { name: "mine" } });
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/api-keys", { token: other.accessToken })).body).to.deep.equal([]);
				const del = await http(platform.baseUrl, "DELETE", `/api/v1/auth/api-keys/${key.id}`, { token: other.accessToken });
				expect(del.status).to.equal(404);
				expect(del.body.error.type).to.equal("NOT_FOUND");
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: key.key })).status).to.equal(200);
			});

			it("refuses keys that were never issued and bad names", async () => {
				const account = await registerUser(platform.baseUrl);
				const { body: key } = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: account.accessToken, body: { name: "real" } });
				for (const forged of [key.key.slice(0, -1) + (key.key.endsWith("A") ? "B" : "A"), "dak_", key.prefix]) {
					expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: forged })).status, forged).to.equal(401);
				}
				for (const body of [{}, { name: "" }, { name: "   " }, { name: 7 }, { name: "x".repeat(101) }, { name: "bell\u0007" }]) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: account.accessToken, body });
					expect(res.status, JSON.stringify(body)).to.equal(422);
				}
				expect((await http(platform.baseUrl, "DELETE", "/api/v1/auth/api-keys/not-a-uuid", { token: account.accessToken })).status).to.equal(422);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/api-keys", { token: account.accessToken })).body).to.have.length(1);
			});
		});

		describe("API docs", () => {
			it("describes the auth routes in /api/openapi.json: register's 201, login's 401 and 429, the console cookie", async () => {
				const { status, body: doc } = await http(platform.baseUrl, "GET", "/api/openapi.json");
				expect(status).to.equal(200);
				const register = doc.paths["/api/v1/auth/register"].post;
				expect(register.summary).to.equal("Create an account and sign it in");
				expect(register.security).to.deep.equal([]);
				expect(register.responses["201"].content["application/json"].example).to.have.all.keys("user", "accessToken", "refreshToken", "expiresIn");
				expect(register.responses).to.include.keys("409", "422");
				expect(register.responses).not.to.have.property("200");
				const login = doc.paths["/api/v1/auth/login"].post;
				expect(login.responses["401"].content["application/json"].example.error.message).to.equal("Invalid email or password");
				expect(login.responses["429"].description).to.include("Retry-After");
				expect(login.description).to.include("X-Console: 1");
				const refresh = doc.paths["/api/v1/auth/refresh"].post;
				expect(refresh.requestBody.content["application/json"].schema.required ?? []).not.to.include("refreshToken");
				expect(refresh.description).to.include("refresh_token");
				expect(doc.paths["/api/v1/auth/logout"].post.responses).to.have.property("204");
				expect(doc.paths["/api/v1/auth/api-keys"].post.responses).to.have.property("201");
			});
		});

		describe("roles", () => {
			it("lets only administrators list users (403 for others), checked at the gateway", async () => {
				const user = await registerUser(platform.baseUrl);
				const denied = await http(platform.baseUrl, "GET", "/api/v1/auth/users", { token: user.accessToken });
				expect(denied.status).to.equal(403);
				expect(denied.body.error.type).to.equal("FORBIDDEN");

				const admin = await registerAdmin(platform.broker, platform.baseUrl);
				expect(admin.user.role).to.equal("admin");
				const list = await http(platform.baseUrl, "GET", "/api/v1/auth/users?limit=2&offset=0", { token: admin.accessToken });
				expect(list.status).to.equal(200);
				expect(list.body.items).to.have.length(2);
				expect(list.body.total).to.be.at.least(3);
				expect(list.text).not.to.match(/password/i);
			});

			it("cannot be raised by editing the token", async () => {
				const user = await registerUser(platform.baseUrl);
				const [header, payload, signature] = user.accessToken.split(".");
				const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
				const forged = [header, Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url"), signature].join(".");
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/users", { token: forged })).status).to.equal(401);
			});

			describe("GET /api/v1/auth/users refuses bad requests", () => {
				const USERS = "/api/v1/auth/users";
				let admin: Awaited<ReturnType<typeof registerAdmin>>;
				/** Every account as an administrator sees them: what no refused request may change. */
				const everyone = async () => {
					const res = await http(platform.baseUrl, "GET", `${USERS}?limit=100`, { token: admin.accessToken });
					expect(res.status, res.text).to.equal(200);
					return res.body;
				};

				before(async () => {
					admin = await registerAdmin(platform.broker, platform.baseUrl);
				});

				it("answers 401 without a token or with a bad one, before looking at the query", async () => {
					const before = await everyone();
					for (const [what, options] of [
						["no token", {}],
						["a token that is not one", { token: "not-a-token" }],
						["Basic credentials", { headers: { authorization: `Basic ${Buffer.from(`${admin.email}:${admin.password}`).toString("base64")}` } }],
					] as const) {
						for (const query of ["", "?limit=2", "?limit=0&offset=-1"]) {
							const res = await http(platform.baseUrl, "GET", USERS + query, options);
							expect(res.status, `${what} ${query}`).to.equal(401);
							expect(res.body.error, `${what} ${query}`).to.include({ type: "UNAUTHORIZED", code: 401 });
							expect(res.text).not.to.include(admin.email);
						}
					}
					expect(await everyone()).to.deep.equal(before);
				});

				it("answers 403 to a user who is not an administrator, with a good or a malformed query, by token or API key", async () => {
					const user = await registerUser(platform.baseUrl);
					const key = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: user.accessToken, body: { name: "lister" } });
					expect(key.status).to.equal(201);
					for (const credential of [user.accessToken, key.body.key as string]) {
						for (const query of ["", "?limit=1&offset=0", "?limit=0", "?limit=abc"]) {
							const res = await http(platform.baseUrl, "GET", USERS + query, { token: credential });
							expect(res.status, query).to.equal(403);
							expect(res.body.error, query).to.include({ type: "FORBIDDEN", code: 403 });
							expect(res.text).not.to.include(admin.email);
						}
					}
				});

				const malformed: [string, string, string][] = [
					["limit=0", "limit", "numberMin"],
					["limit=101", "limit", "numberMax"],
					["limit=abc", "limit", "number"],
					["limit=", "limit", "numberMin"],
					["limit=1.5", "limit", "numberInteger"],
					["limit=1&limit=2", "limit", "number"],
					["offset=-1", "offset", "numberMin"],
					["offset=x", "offset", "number"],
					["offset=0.5", "offset", "numberInteger"],
				];
				for (const [query, field, rule] of malformed) {
					it(`answers 422 VALIDATION_ERROR naming ${field} to an administrator's ?${query}`, async () => {
						const before = await everyone();
						const res = await http(platform.baseUrl, "GET", `${USERS}?${query}`, { token: admin.accessToken });
						expect(res.status, res.text).to.equal(422);
						expect(res.body.error).to.include({ type: "VALIDATION_ERROR", code: 422 });
						expect(res.body.error.details, res.text).to.be.an("array").with.length(1);
						expect(res.body.error.details[0]).to.include({ field, type: rule });
						expect(res.body.error.details[0], "internal names").not.to.have.any.keys("nodeID", "action");
						expect(res.body).not.to.have.property("items");
						expect(res.text).not.to.match(/\bat .*\.ts:\d+/);
						expect(await everyone()).to.deep.equal(before);
					});
				}
			});
		});
	});
}

describe("auth: the embedded JWT secret", () => {
	it("is generated once under DATA_DIR, private to its owner, and keeps tokens valid across restarts", async () => {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "auth-secret-"));
		try {
			let platform = await startPlatform({ env: { DATA_DIR: dataDir } });
			const account = await registerUser(platform.baseUrl);
			await platform.stop();
			const file = path.join(dataDir, "jwt-secret");
			expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
			const secret = fs.readFileSync(file, "utf8");
			expect(secret.trim()).to.match(/^[0-9a-f]{64}$/);

			platform = await startPlatform({ env: { DATA_DIR: dataDir } });
			try {
				expect(fs.readFileSync(file, "utf8")).to.equal(secret);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: account.accessToken })).status).to.equal(200);
			} finally {
				await platform.stop();
			}
		} finally {
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	});

	it("is not written when JWT_SECRET is set, and tokens signed with another secret are refused", async () => {
		const first = await startPlatform({ env: { JWT_SECRET: "a".repeat(40) } });
		let token: string;
		try {
			expect(fs.existsSync(path.join(first.dataDir, "jwt-secret"))).to.equal(false);
			token = (await registerUser(first.baseUrl)).accessToken;
		} finally {
			await first.stop();
		}
		const second = await startPlatform({ env: { JWT_SECRET: "b".repeat(40) } });
		try {
			expect((await http(second.baseUrl, "GET", "/api/v1/auth/me", { token })).status).to.equal(401);
		} finally {
			await second.stop();
		}
	});
});
