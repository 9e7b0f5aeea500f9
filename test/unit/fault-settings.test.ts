import { expect } from "chai";
import { loadConfig, ConfigError } from "../../shared/config.ts";
import { isIdempotent } from "../../shared/safe-retry.middleware.ts";

describe("fault settings (REDIS_COMMAND_TIMEOUT_MS, NODE_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS, DATABASE_*)", () => {
	it("defaults: 300 ms Redis commands, 1.5 s node silence, 5 s stops, a pool sized from the memory budget", () => {
		expect(loadConfig({}).faults).to.deep.equal({
			redisCommandTimeoutMs: 500,
			nodeTimeoutMs: 1_500,
			shutdownTimeoutMs: 5_000,
			databasePoolMax: 8,
			databaseReservedConnections: 3,
			databaseAcquireTimeoutMs: 10_000,
			databaseConnectTimeoutMs: 1_000,
		});
		expect(loadConfig({ MEMORY_BUDGET_MB: "2048" }).faults.databasePoolMax).to.equal(20);
		expect(loadConfig({ MEMORY_BUDGET_MB: "128" }).faults.databasePoolMax).to.equal(4);
	});

	it("refuses values that cannot work, naming the variable", () => {
		for (const [variable, value] of [["DATABASE_POOL_MAX", "1"], ["NODE_TIMEOUT_MS", "100"], ["SHUTDOWN_TIMEOUT_MS", "soon"], ["REDIS_COMMAND_TIMEOUT_MS", "-5"]]) {
			expect(() => loadConfig({ [variable]: value }), variable).to.throw(ConfigError, variable);
		}
	});
});

describe("which calls fail over to another node", () => {
	it("reads by their REST route, and what an action declares", () => {
		expect(isIdempotent({ rest: "GET /providers" })).to.equal(true);
		expect(isIdempotent({ rest: { method: "GET", path: "/:id/analyses" } as never })).to.equal(true);
		expect(isIdempotent({ rest: "POST /complete" })).to.equal(false);
		expect(isIdempotent({ rest: ["GET /a", "DELETE /a"] as never })).to.equal(false);
		expect(isIdempotent({})).to.equal(false);
		expect(isIdempotent({ idempotent: true })).to.equal(true);
		expect(isIdempotent({ rest: "GET /events", idempotent: false })).to.equal(false);
	});
});
