import { expect } from "chai";
import { BACKENDS, startPlatform, usePlatform } from "../helpers/platform.ts";
import { http, type HttpResult } from "../helpers/http.ts";
import { registerUser, strongPassword, uniqueEmail } from "../helpers/users.ts";

/**
 * Requests as if from this address: the suite runs the gateway with TRUST_PROXY=true, which believes
 * every X-Forwarded-For hop (proxy-addr, as Express), so this lone entry is the client.
 */
function from(ip: string) {
	return { "x-forwarded-for": ip };
}

function login(base: string, email: string, password: string, ip: string) {
	return http(base, "POST", "/api/v1/auth/login", { body: { email, password }, headers: from(ip) });
}

function expectThrottled(res: HttpResult) {
	expect(res.status).to.equal(429);
	expect(res.body.error).to.include({ type: "TOO_MANY_REQUESTS", code: 429, message: "Too many failed sign-in attempts; try again later" });
	const retryAfter = Number(res.headers.get("retry-after"));
	expect(retryAfter).to.be.at.least(1);
	return retryAfter;
}

function sleep(ms: number) {
	return new Promise(resolve => setTimeout(resolve, ms));
}

/** Sends `count` requests, `concurrency` at a time; answers their statuses in order. */
async function burst(count: number, concurrency: number, send: (i: number) => Promise<HttpResult>): Promise<number[]> {
	const statuses: number[] = new Array(count);
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < count) {
				const i = next++;
				statuses[i] = (await send(i)).status;
			}
		})
	);
	return statuses;
}

let ipCounter = 0;
/** A fresh documentation-range address per test, so per-IP counters never carry over. */
function freshIp(): string {
	ipCounter++;
	return `198.18.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

for (const backend of BACKENDS) {
	describe(`auth: bad input and brute force (${backend.name})`, function () {
		const platform = usePlatform(backend, { env: { TRUST_PROXY: "true" } });

		describe("bad input gets a clear 4xx and changes nothing", () => {
			const email = uniqueEmail("bad-input");

			after(async () => {
				// Every attempt above was refused before writing: the address is still free.
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password: strongPassword() } });
				expect(res.status).to.equal(201);
			});

			it("malformed JSON, a JSON string or number: 400 with the error shape", async () => {
				for (const raw of ['{"email":', "{email: 'a'}", '"just a string"', "42", "\u0000"]) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { raw, headers: { "content-type": "application/json" } });
					expect(res.status, raw).to.equal(400);
					expect(res.body.error).to.have.all.keys("type", "message", "code");
					expect(res.body.error.code).to.equal(400);
				}
			});

			it("missing fields, an empty body, an array or another content type: 422 naming the fields", async () => {
				const attempts: { body?: unknown; raw?: string; headers?: Record<string, string> }[] = [
					{ body: {} },
					{ body: { email } },
					{ body: { password: strongPassword() } },
					{ body: [email, strongPassword()] },
					{},
					{ raw: `email=${email}&password=x`, headers: { "content-type": "application/x-www-form-urlencoded" } },
					{ raw: JSON.stringify({ email, password: strongPassword() }), headers: { "content-type": "text/plain" } },
				];
				for (const attempt of attempts) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", attempt);
					expect(res.status, JSON.stringify(attempt)).to.equal(422);
					expect(res.body.error.type).to.equal("VALIDATION_ERROR");
					expect(res.body.error.details.map((d: { field: string }) => d.field)).to.include.oneOf(["email", "password"]);
				}
			});

			it("wrong types: 422", async () => {
				for (const body of [
					{ email: 42, password: strongPassword() },
					{ email, password: 123456789012345 },
					{ email: [email], password: strongPassword() },
					{ email, password: { $gt: "" } },
					{ email, password: strongPassword(), name: 5 },
					{ email: null, password: null },
				]) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body });
					expect(res.status, JSON.stringify(body)).to.equal(422);
					expect(res.body.error.type).to.equal("VALIDATION_ERROR");
				}
				const login = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email, password: { $ne: null } } });
				expect(login.status).to.equal(422);
			});

			it("emails with control, invisible or layout characters, or too long or malformed: 422", async () => {
				const [local, domain] = email.split("@");
				const bad = [
					`${local}\u0000@${domain}`,
					`${local}\u0007@${domain}`,
					`${local}\n@${domain}`,
					`${local}@${domain}\r\nBcc: victim@example.com`,
					`${local}\t@${domain}`,
					`${local}\u200b@${domain}`,
					`${local}\u202e@${domain}`,
					`${local}\u0085@${domain}`,
					`${local}@${domain}\u0000`,
					`${"a".repeat(250)}@${domain}`,
					"no-at-sign.example.com",
					"two@@example.com",
					"spaces in@example.com",
					"nodot@localhost",
					"",
				];
				for (const candidate of bad) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email: candidate, password: strongPassword() } });
					expect(res.status, JSON.stringify(candidate)).to.equal(422);
					expect(res.body.error.type).to.equal("VALIDATION_ERROR");
				}
			});

			it("a name with control characters or over 100 characters: 422", async () => {
				for (const name of ["Eve\u0000", "Eve\u001b[31m", "x".repeat(101)]) {
					const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password: strongPassword(), name } });
					expect(res.status, JSON.stringify(name)).to.equal(422);
				}
			});

			it("oversized bodies: 413 before anything is read into an account", async () => {
				const password = "p".repeat(2 * 1024 * 1024);
				const res = await http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password } });
				expect(res.status).to.equal(413);
				expect(res.body.error.code).to.equal(413);
				const login = await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email, password: "x".repeat(1025) } });
				expect(login.status).to.equal(422);
			});
		});

		describe("per-account lockout", () => {
			it("locks an account after 5 failures (from any addresses), even for the right password, then lets it in", async () => {
				const account = await registerUser(platform.baseUrl);
				for (let i = 0; i < 5; i++) {
					expect((await login(platform.baseUrl, account.email, "wrong-password-" + i, freshIp())).status).to.equal(401);
				}
				const retryAfter = expectThrottled(await login(platform.baseUrl, account.email, account.password, freshIp()));
				expect(retryAfter).to.equal(1);
				await sleep(1100);
				expect((await login(platform.baseUrl, account.email, account.password, freshIp())).status).to.equal(200);
				// Success cleared the failures: one more mistake is an ordinary 401.
				expect((await login(platform.baseUrl, account.email, "wrong-again", freshIp())).status).to.equal(401);
			});

			it("throttles an unknown email exactly like a real one, and doubles the lock with each further failure", async () => {
				const real = await registerUser(platform.baseUrl);
				const ghost = uniqueEmail("ghost");
				for (let i = 0; i < 5; i++) {
					expect((await login(platform.baseUrl, real.email, "nope-" + i, freshIp())).status).to.equal(401);
					expect((await login(platform.baseUrl, ghost, "nope-" + i, freshIp())).status).to.equal(401);
				}
				const forReal = await login(platform.baseUrl, real.email, "nope", freshIp());
				const forGhost = await login(platform.baseUrl, ghost, "nope", freshIp());
				expectThrottled(forReal);
				expectThrottled(forGhost);
				expect(forGhost.text).to.equal(forReal.text);

				await sleep(1100);
				expect((await login(platform.baseUrl, ghost, "nope-6", freshIp())).status).to.equal(401);
				expect(expectThrottled(await login(platform.baseUrl, ghost, "nope-7", freshIp()))).to.equal(2);
			});
		});

		describe("per-address limit", () => {
			it("refuses an address after 30 failed sign-ins across accounts (429 + Retry-After); other addresses are unaffected", async () => {
				const attacker = freshIp();
				const victim = await registerUser(platform.baseUrl);
				const statuses = await burst(30, 3, i => login(platform.baseUrl, uniqueEmail(`spray${i}`), "Spray-password-1", attacker));
				expect(statuses.every(s => s === 401), statuses.join(",")).to.equal(true);
				const blocked = await login(platform.baseUrl, victim.email, victim.password, attacker);
				expect(expectThrottled(blocked)).to.be.greaterThan(60);
				expect((await login(platform.baseUrl, victim.email, victim.password, freshIp())).status).to.equal(200);
			});
		});

		describe("gateway rate limit", () => {
			it("counts every request per address and answers 429 with Retry-After past 1200 a minute", async () => {
				const ip = freshIp();
				const first = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { headers: from(ip) });
				expect(first.headers.get("x-rate-limit-limit")).to.equal("1200");
				expect(first.headers.get("x-rate-limit-remaining")).to.equal("1199");
				const statuses = await burst(1199, 25, () => http(platform.baseUrl, "GET", "/api/v1/auth/me", { headers: from(ip) }));
				expect(statuses.filter(s => s === 429)).to.have.length(0);
				const limited = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { headers: from(ip) });
				expect(limited.status).to.equal(429);
				expect(limited.body.error).to.include({ type: "TOO_MANY_REQUESTS", code: 429 });
				expect(Number(limited.headers.get("retry-after"))).to.be.within(1, 60);
				expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { headers: from(freshIp()) })).status).to.equal(401);
			});

			if (backend.requires.includes("redis")) {
				it("holds across gateway nodes through Redis", async () => {
					const second = await startPlatform({ env: platform.env });
					try {
						const ip = freshIp();
						const statuses = await burst(1200, 25, i => http(i % 2 ? second.baseUrl : platform.baseUrl, "GET", "/api/v1/auth/me", { headers: from(ip) }));
						expect(statuses.filter(s => s === 429)).to.have.length(0);
						for (const node of [platform.baseUrl, second.baseUrl]) {
							expect((await http(node, "GET", "/api/v1/auth/me", { headers: from(ip) })).status).to.equal(429);
						}
					} finally {
						await second.stop();
					}
				});
			}
		});
	});
}

describe("auth: Redis unreachable", () => {
	// Port 1 refuses connections: every Redis command fails at once.
	const platform = usePlatform({ env: { REDIS_URL: "redis://127.0.0.1:1", TRUST_PROXY: "true" } });

	it("keeps sign-in, sign-out and rate limits working on this node's memory, without a 5xx", async () => {
		const base = platform.baseUrl;
		const account = await registerUser(base);
		const me = await http(base, "GET", "/api/v1/auth/me", { token: account.accessToken });
		expect(me.status).to.equal(200);
		expect(Number(me.headers.get("x-rate-limit-remaining"))).to.be.below(1200);
		expect((await login(base, account.email, "wrong-password", freshIp())).status).to.equal(401);
		expect((await login(base, account.email, account.password, freshIp())).status).to.equal(200);
		expect((await http(base, "POST", "/api/v1/auth/logout", { token: account.accessToken, body: {} })).status).to.equal(204);
		expect((await http(base, "GET", "/api/v1/auth/me", { token: account.accessToken })).status).to.equal(401);
	});
});

describe("client address without a trusted proxy", () => {
	const platform = usePlatform();

	it("ignores X-Forwarded-For, so a client cannot dodge per-address limits by inventing addresses", async () => {
		const email = uniqueEmail();
		let last: HttpResult | undefined;
		// Each attempt claims a new address; all of them still count against the real one.
		for (let i = 0; i < 35; i++) last = await login(platform.baseUrl, email, "wrong-password-123456", `198.51.100.${i}`);
		expect(last!.status).to.equal(429);
		expect(last!.headers.get("retry-after")).to.match(/^\d+$/);
	});
});
