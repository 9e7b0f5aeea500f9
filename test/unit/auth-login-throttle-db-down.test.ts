import { expect } from "chai";
import type { ServiceBroker } from "moleculer";
import type { Sequelize } from "sequelize";
import { loadConfig } from "../../shared/config.ts";
import { IP_FAILURES, LoginThrottle } from "../../services/auth/login-throttle.ts";

/** Only what createLimiter reads of a broker: the platform's options (no REDIS_URL: a memory limiter). */
const broker = { options: { platform: loadConfig({}) } } as unknown as ServiceBroker;

/**
 * A sign-in attempt takes a point from its address before the account's counter is asked. When the
 * database cannot answer, nothing was tried: the point goes back, so an outage does not lock out
 * everyone behind an address (30 failed sign-ins, 15 minutes) once the database returns.
 */
describe("login throttle: the database unreachable", () => {
	it("gives the address its attempt back when the account's counter cannot be reached", async () => {
		let databaseUp = false;
		const sequelize = {
			query: async () => {
				if (!databaseUp) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
				return [{ failures: 1 }];
			},
		} as unknown as Sequelize;
		const throttle = new LoginThrottle(sequelize, broker);
		for (let i = 0; i < IP_FAILURES.points + 5; i++) {
			const err = await throttle.reserveAttempt(`user${i}@example.com`, "203.0.113.7").then(() => undefined, (e: Error) => e);
			expect(err?.message).to.include("ECONNREFUSED");
		}
		databaseUp = true;
		await throttle.reserveAttempt("back@example.com", "203.0.113.7");
	});
});
