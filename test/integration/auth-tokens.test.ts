import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { SignJWT, generateKeyPair, type JWTPayload } from "jose";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";

const INVALID_CREDENTIAL = { error: { type: "UNAUTHORIZED", message: "Invalid or expired credential", code: 401 } };

function base64url(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString("base64url");
}

for (const backend of BACKENDS) {
	describe(`auth: tokens that must not pass (${backend.name})`, function () {
		const platform = usePlatform(backend);
		let account: RegisteredUser;
		let secret: Uint8Array;
		let realClaims: JWTPayload;

		/** A token like the platform's own, with the given changes, signed with the platform's secret unless told otherwise. */
		function forge(changes: { claims?: JWTPayload; header?: Record<string, unknown>; key?: Parameters<SignJWT["sign"]>[0]; alg?: string } = {}) {
			const now = Math.floor(Date.now() / 1000);
			const claims: Record<string, unknown> = { ...realClaims, iat: now, nbf: now, exp: now + 600, jti: crypto.randomUUID(), ...changes.claims };
			for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
			return new SignJWT(claims)
				.setProtectedHeader({ alg: changes.alg ?? "HS256", typ: "at+jwt", ...changes.header })
				.sign(changes.key ?? secret);
		}

		async function me(token: string) {
			return http(platform.baseUrl, "GET", "/api/v1/auth/me", { token });
		}

		before(async () => {
			account = await registerUser(platform.baseUrl);
			secret = new TextEncoder().encode(fs.readFileSync(path.join(platform.config.dataDir, "jwt-secret"), "utf8").trim());
			realClaims = JSON.parse(Buffer.from(account.accessToken.split(".")[1], "base64url").toString());
		});

		it("accepts a token forged exactly like the platform's (so the refusals below are meaningful)", async () => {
			const res = await me(await forge());
			expect(res.status).to.equal(200);
			expect(res.body.id).to.equal(account.user.id);
		});

		const refusals: [string, (f: typeof forge) => Promise<string> | string][] = [
			["expired", f => f({ claims: { exp: Math.floor(Date.now() / 1000) - 60 } })],
			["not valid yet (nbf in the future)", f => f({ claims: { nbf: Math.floor(Date.now() / 1000) + 120 } })],
			["issued by someone else", f => f({ claims: { iss: "https://evil.example" } })],
			["meant for another audience", f => f({ claims: { aud: "another-api" } })],
			["without a type header", f => f({ header: { typ: undefined } })],
			["of another type (a plain JWT)", f => f({ header: { typ: "JWT" } })],
			["without an expiry", f => f({ claims: { exp: undefined } })],
			["without not-before", f => f({ claims: { nbf: undefined } })],
			["without a session", f => f({ claims: { sid: undefined } })],
			["with a role that does not exist", f => f({ claims: { role: "root" } })],
			["signed with another key", f => f({ key: new TextEncoder().encode("another-secret-that-is-long-enough-0123456789") })],
			["signed with HS512 and the right secret (algorithm pinned)", f => f({ alg: "HS512" })],
			[
				"signed with an EdDSA key of its own",
				async f => {
					const { privateKey } = await generateKeyPair("EdDSA");
					return f({ alg: "EdDSA", key: privateKey });
				},
			],
			[
				"unsigned (alg: none)",
				() => {
					const now = Math.floor(Date.now() / 1000);
					return `${base64url({ alg: "none", typ: "at+jwt" })}.${base64url({ ...realClaims, iat: now, nbf: now, exp: now + 600 })}.`;
				},
			],
			[
				"with its payload edited (another user)",
				async f => {
					const [header, , signature] = (await f()).split(".");
					return [header, base64url({ ...realClaims, sub: crypto.randomUUID() }), signature].join(".");
				},
			],
			[
				"with its signature altered",
				async f => {
					const token = await f();
					const last = token.at(-2) === "A" ? "B" : "A";
					return token.slice(0, -2) + last + token.at(-1);
				},
			],
			["cut short", async f => (await f()).split(".").slice(0, 2).join(".")],
			["not a token at all", () => "definitely-not-a-jwt"],
			["three empty parts", () => ".."],
			["enormous", () => "a".repeat(5000)],
		];

		for (const [what, make] of refusals) {
			it(`refuses an access token ${what} with 401`, async () => {
				const res = await me(await make(forge));
				expect(res.status).to.equal(401);
				expect(res.body.error).to.include({ type: "UNAUTHORIZED", code: 401 });
				expect(res.text).not.to.match(/stack|at \w+ \(/);
			});
		}

		it("refuses a refresh token used as an access token, and an access token used as a refresh token", async () => {
			expect((await me(account.refreshToken)).body).to.deep.equal(INVALID_CREDENTIAL);
			const refresh = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.accessToken } });
			expect(refresh.body).to.deep.equal(INVALID_CREDENTIAL);
			// Neither misuse spent anything: both still work for what they are.
			expect((await me(account.accessToken)).status).to.equal(200);
			expect((await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } })).status).to.equal(200);
		});

		it("refuses an API key used as a refresh token", async () => {
			const { body: key } = await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token: account.accessToken, body: { name: "misuse" } });
			const res = await http(platform.baseUrl, "POST", "/api/v1/auth/refresh", { body: { refreshToken: key.key } });
			expect(res.body).to.deep.equal(INVALID_CREDENTIAL);
		});

		it("does not expose the bus-only actions over HTTP", async () => {
			for (const [method, route] of [["POST", "/api/v1/auth/authenticate"], ["POST", "/api/v1/auth/setRole"], ["GET", "/api/v1/auth/authenticate"]]) {
				const res = await http(platform.baseUrl, method, route, { token: account.accessToken, body: method === "POST" ? { credential: account.accessToken, email: account.email, role: "admin" } : undefined });
				expect(res.status, route).to.equal(404);
			}
			expect((await me(account.accessToken)).body.role).to.equal("user");
		});
	});
}
