import { expect } from "chai";
import { ConfigError, loadConfig } from "../../shared/config.ts";

describe("auth: settings (AUTH_*)", () => {
	it("defaults: 20 sign-ups per address an hour, zxcvbn score 3, revocations in memory sized from the budget", () => {
		expect(loadConfig({}).auth).to.deep.equal({ registrationsPerHour: 20, passwordMinScore: 3, revokedSessionsInMemory: 102_400 });
		expect(loadConfig({ MEMORY_BUDGET_MB: "128" }).auth.revokedSessionsInMemory).to.equal(25_600);
		expect(loadConfig({ MEMORY_BUDGET_MB: "2048" }).auth.revokedSessionsInMemory).to.equal(409_600);
	});

	it("takes explicit values, 0 sign-ups meaning no limit", () => {
		const { auth } = loadConfig({ AUTH_REGISTRATIONS_PER_HOUR: "0", AUTH_PASSWORD_MIN_SCORE: "4", AUTH_REVOKED_SESSIONS_IN_MEMORY: "5000" });
		expect(auth).to.deep.equal({ registrationsPerHour: 0, passwordMinScore: 4, revokedSessionsInMemory: 5000 });
	});

	it("refuses values that cannot work, naming the variable", () => {
		for (const [name, value] of [["AUTH_PASSWORD_MIN_SCORE", "5"], ["AUTH_REGISTRATIONS_PER_HOUR", "-1"], ["AUTH_REGISTRATIONS_PER_HOUR", "ten"], ["AUTH_REVOKED_SESSIONS_IN_MEMORY", "10"]]) {
			expect(() => loadConfig({ [name]: value }), `${name}=${value}`).to.throw(ConfigError, name);
		}
	});
});
