import { expect } from "chai";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, waitUntilReady, type Topology } from "../helpers/topology.ts";
import { http } from "../helpers/http.ts";

describe("distributed topology over NATS (separate processes)", function () {
	this.timeout(90_000);
	let db: TestDatabase | undefined;
	let topology: Topology | undefined;

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		topology = await startTopology(
			{ gateway: ["api"], accounts: ["auth"], documents: ["documents"], workers: ["llm", "optimizer"] },
			{ TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JWT_SECRET: "topology-test-secret-0123456789abcdef" }
		);
	});

	after(async () => {
		await topology?.stop();
		await db?.drop();
	});

	it("answers through the gateway with services that run in other processes", async () => {
		const res = await http(topology!.baseUrl, "GET", "/health/ready");
		expect(res.status).to.equal(200);
		// The gateway process runs only `api`: every other check crossed the bus.
		expect(res.body.checks).to.deep.equal({ transporter: "ok", auth: "ok", documents: "ok", analyses: "ok", llm: "ok", optimizer: "ok", routes: "ok" });
	});

	it("reports a stopped process as not ready, and is ready again when it returns", async () => {
		await topology!.kill("workers");
		let res = await http(topology!.baseUrl, "GET", "/health/ready");
		for (let i = 0; i < 50 && res.body.checks?.llm === "ok"; i++) {
			await new Promise(r => setTimeout(r, 200));
			res = await http(topology!.baseUrl, "GET", "/health/ready");
		}
		expect(res.status).to.equal(503);
		// "not responding" until the dead node's heartbeat times out, then "not running".
		expect(res.body.checks.llm).to.be.oneOf(["not responding", "not running"]);
		expect(res.body.checks.auth).to.equal("ok");

		// Once the dead node's heartbeat times out its routes go; their paths are an outage (503), not
		// unknown (404). Until then a route still exists and asks for sign-in first (401).
		let route = await http(topology!.baseUrl, "GET", "/api/v1/llm/providers");
		for (let i = 0; i < 100 && route.status === 401; i++) {
			await new Promise(r => setTimeout(r, 200));
			route = await http(topology!.baseUrl, "GET", "/api/v1/llm/providers");
		}
		expect(route.status, JSON.stringify(route.body)).to.equal(503);
		expect((await http(topology!.baseUrl, "GET", "/v1/models")).status).to.equal(503);
		expect((await http(topology!.baseUrl, "GET", "/api/v1/optimizer/studies")).status).to.equal(503);
		expect((await http(topology!.baseUrl, "GET", "/api/v1/documents")).status).to.equal(401);

		await topology!.start("workers");
		await waitUntilReady(topology!.baseUrl, topology!.processes, 30_000);
		// The killed node stays listed until its heartbeat times out; after that every check passes.
		let consecutive = 0;
		for (let i = 0; i < 100 && consecutive < 5; i++) {
			res = await http(topology!.baseUrl, "GET", "/health/ready");
			consecutive = res.status === 200 ? consecutive + 1 : 0;
			await new Promise(r => setTimeout(r, 200));
		}
		expect(consecutive, JSON.stringify(res.body)).to.equal(5);
	});
});
