import { expect } from "chai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { loginUser, registerUser, strongPassword, uniqueEmail } from "../helpers/users.ts";

const PER_HOUR = 4;
let addresses = 0;
/** A client address of its own (TEST-NET-2, the gateway trusts X-Forwarded-For here), so each test counts from zero. */
function freshAddress(): string {
	addresses++;
	return `198.51.100.${addresses}`;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

for (const backend of BACKENDS) {
	describe(`auth: registration tells nobody who has an account, and is throttled per address (${backend.name})`, function () {
		this.timeout(120_000);
		const platform = usePlatform(backend, { env: { TRUST_PROXY: "true", AUTH_REGISTRATIONS_PER_HOUR: String(PER_HOUR) } });

		function register(address: string, email: string, password = strongPassword()) {
			return http(platform.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password }, headers: { "x-forwarded-for": address } });
		}

		it("answers a taken email as slowly as a free one: both pay for the password hash", async () => {
			const taken = await registerUser(platform.baseUrl);
			const free: number[] = [];
			const existing: number[] = [];
			// Interleaved, so the machine's load changes both series alike.
			for (let i = 0; i < 7; i++) {
				let started = performance.now();
				expect((await register(freshAddress(), uniqueEmail("free"))).status).to.equal(201);
				free.push(performance.now() - started);
				started = performance.now();
				const res = await register(freshAddress(), taken.email);
				existing.push(performance.now() - started);
				expect(res.status).to.equal(409);
				expect(res.body).to.deep.equal({ error: { type: "CONFLICT", message: "An account with this email already exists", code: 409 } });
			}
			// Before: 3 ms against 51 ms (a look-up, no hash). A hash costs tens of ms on any machine, so
			// only an answer that skipped it falls below half of the other's median.
			expect(median(existing), `taken ${existing.map(Math.round)} ms, free ${free.map(Math.round)} ms`).to.be.above(median(free) / 2);
			// The attempts changed nothing: the owner's password still signs in.
			expect((await loginUser(platform.baseUrl, taken.email, taken.password)).user.id).to.equal(taken.user.id);
		});

		it(`lets one address try ${PER_HOUR} sign-ups an hour, whatever they answered, then 429 with Retry-After; others are unaffected`, async () => {
			const attacker = freshAddress();
			const taken = await registerUser(platform.baseUrl);
			const answers = [
				(await register(attacker, uniqueEmail("first"))).status,
				(await register(attacker, taken.email)).status,
				(await register(attacker, uniqueEmail("weak"), "qwertyuiopasdfghjkl")).status,
				(await register(attacker, uniqueEmail("fourth"))).status,
			];
			expect(answers).to.deep.equal([201, 409, 422, 201]);
			const refusedEmail = uniqueEmail("refused");
			for (const email of [refusedEmail, taken.email]) {
				const refused = await register(attacker, email);
				expect(refused.status).to.equal(429);
				expect(refused.body.error).to.include({ type: "TOO_MANY_REQUESTS", code: 429, message: "Too many sign-ups from your address; try again later" });
				expect(Number(refused.headers.get("retry-after"))).to.be.within(3000, 3600);
			}
			// The refused attempt created nothing, and another address signs up as usual.
			expect((await register(freshAddress(), refusedEmail)).status).to.equal(201);
		});

		it("refuses a keyboard walk with zxcvbn's reason (the issue's own example)", async () => {
			const res = await register(freshAddress(), uniqueEmail("walk"), "qwertyuiopasdfghjkl");
			expect(res.status).to.equal(422);
			expect(res.body.error.type).to.equal("VALIDATION_ERROR");
			expect(res.body.error.message).to.match(/^Password is too easy to guess: This is similar to a commonly used password\./);
		});
	});
}
