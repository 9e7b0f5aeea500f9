import { expect } from "chai";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { startPlatform, useGatewayWithRemoteService, type TestPlatform } from "../helpers/platform.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { http } from "../helpers/http.ts";
import { routesAreCurrent } from "../../services/api/route-availability.ts";

/**
 * A service the gateway's code never mentions by path: its own base path (/api/v1/tuning) and one
 * path nested under the documents service's. It is named like a service the REST route whitelists
 * (the route must let it in), but none of its paths is one the platform's optimizer serves.
 */
const newcomer: ServiceSchema = {
	name: "optimizer",
	settings: { rest: "/tuning" },
	actions: {
		health: () => ({ database: true }),
		job: { rest: "GET /jobs/:id", handler: () => ({ id: "j1" }) },
		scores: { rest: { method: "GET", basePath: "/documents", path: "/:id/scores" } as never, handler: () => ({ scores: [] }) },
	},
};

const UNAVAILABLE = { error: { type: "SERVICE_UNAVAILABLE", message: "A service needed for this request is not reachable; try again shortly", code: 503 } };

/** Status of an unauthenticated GET: 401 while the route exists (sign-in comes first), else what the gateway says. */
async function statusOf(baseUrl: string, path: string): Promise<number> {
	return (await http(baseUrl, "GET", path)).status;
}

/** The gateway rebuilds its routes a debounce after the registry changes: wait until `path` answers `expected`; answers the last status. */
async function untilStatus(baseUrl: string, path: string, expected: number, timeoutMs = 10_000): Promise<number> {
	const deadline = Date.now() + timeoutMs;
	let status = await statusOf(baseUrl, path);
	while (status !== expected && Date.now() < deadline) {
		await new Promise(r => setTimeout(r, 50));
		status = await statusOf(baseUrl, path);
	}
	return status;
}

async function expectUnavailable(baseUrl: string, path: string): Promise<void> {
	const res = await http(baseUrl, "GET", path);
	expect(res.status, path).to.equal(503);
	expect(res.body, path).to.deep.equal(UNAVAILABLE);
}

describe("route availability: a service's paths answer 503, not 404, while no node runs it (one process)", function () {
	this.timeout(60_000);
	let platform: TestPlatform;

	before(async () => {
		platform = await startPlatform({ services: ["api", "auth", "documents", "llm"], extraServices: [newcomer] });
	});
	after(async () => platform?.stop());

	it("does so for a service added without touching the gateway, and routes it again when it returns", async () => {
		const { baseUrl, broker } = platform;
		expect(await statusOf(baseUrl, "/api/v1/tuning/jobs/j1")).to.equal(401);
		expect(await statusOf(baseUrl, "/api/v1/documents/d1/scores")).to.equal(401);

		await broker.destroyService(broker.getLocalService("optimizer")!);
		expect(await untilStatus(baseUrl, "/api/v1/tuning/jobs/j1", 503)).to.equal(503);
		await expectUnavailable(baseUrl, "/api/v1/tuning/jobs/j1");
		// Its base path, beyond the aliases it had.
		await expectUnavailable(baseUrl, "/api/v1/tuning/something-else");
		// Nested under /documents, while documents itself runs.
		await expectUnavailable(baseUrl, "/api/v1/documents/d1/scores");
		expect(await statusOf(baseUrl, "/api/v1/documents/d1")).to.equal(401);
		// Paths nobody served stay 404, once the routes are rebuilt (until then any 404 is a 503).
		while (!routesAreCurrent(broker.getLocalService("api")!)) await new Promise(r => setTimeout(r, 5));
		for (const path of ["/api/v1/nothing-here", "/api/v1/documents/d1/nothing", "/api/v2/tuning/jobs/j1", "/nope"]) {
			expect(await statusOf(baseUrl, path), path).to.equal(404);
		}

		broker.createService(newcomer);
		expect(await untilStatus(baseUrl, "/api/v1/tuning/jobs/j1", 401)).to.equal(401);
		expect(await statusOf(baseUrl, "/api/v1/documents/d1/scores")).to.equal(401);
	});

	it("does so for the platform's own services: analyses nested under documents, and /v1 in OpenAI's error shape", async () => {
		const { baseUrl, broker } = platform;
		expect(await statusOf(baseUrl, "/api/v1/documents/d1/analyses")).to.equal(401);
		await broker.destroyService(broker.getLocalService("analyses")!);
		expect(await untilStatus(baseUrl, "/api/v1/documents/d1/analyses", 503)).to.equal(503);
		await expectUnavailable(baseUrl, "/api/v1/analyses/a1");
		expect(await statusOf(baseUrl, "/api/v1/documents/d1")).to.equal(401);

		expect(await statusOf(baseUrl, "/v1/models")).to.equal(401);
		await broker.destroyService(broker.getLocalService("openai")!);
		expect(await untilStatus(baseUrl, "/v1/models", 503)).to.equal(503);
		const res = await http(baseUrl, "POST", "/v1/chat/completions", { body: { model: "fast", messages: [] } });
		expect(res.status).to.equal(503);
		expect(res.body.error).to.include({ type: "api_error", code: "service_unavailable" });
	});
});

describe("route availability over NATS: the gateway has no schema of the services it routes", function () {
	this.timeout(60_000);
	const split = useGatewayWithRemoteService(newcomer, ["api", "auth"]);

	it("answers 503 on a remote service's paths once its node has left, and 503 for a whitelisted service it has never seen", async () => {
		const baseUrl = split.platform.baseUrl;
		expect(await untilStatus(baseUrl, "/api/v1/tuning/jobs/j1", 401)).to.equal(401);
		await split.remote.stop();
		expect(await untilStatus(baseUrl, "/api/v1/tuning/jobs/j1", 503)).to.equal(503);
		await expectUnavailable(baseUrl, "/api/v1/documents/d1/scores");
		// llm never ran anywhere since the gateway started: it cannot know llm's paths, so not "no such path".
		await expectUnavailable(baseUrl, "/api/v1/llm/providers");
	});
});

/**
 * Asks for `path` every few ms until stopped; every status seen, in order. Paced so a test stays
 * under the gateway's per-address rate limit (1,200 a minute) while still looking into every
 * window a route could be missing in.
 */
function keepRequesting(baseUrl: string, path: string): { stop(): Promise<number[]> } {
	const statuses: number[] = [];
	let running = true;
	const loop = (async () => {
		while (running) {
			statuses.push(await statusOf(baseUrl, path));
			await new Promise(r => setTimeout(r, 15));
		}
	})();
	return {
		async stop() {
			running = false;
			await loop;
			return statuses;
		},
	};
}

/**
 * Makes the gateway take `ms` to rebuild its routes after a registry change (moleculer-web's
 * debounce is 50 ms; a loaded machine can make it longer): the window in which a service is
 * registered but not yet routed, wide enough for a test to look into. Returns the undo.
 */
function slowRouteRebuilds(broker: ServiceBroker, ms: number): { restore(): void; rebuilt(): Promise<void> } {
	const api = broker.getLocalService("api") as unknown as { regenerateAllAutoAliases: () => void };
	const rebuild = api.regenerateAllAutoAliases;
	let pending = 0;
	api.regenerateAllAutoAliases = () => {
		pending++;
		setTimeout(() => {
			pending--;
			rebuild();
		}, ms);
	};
	return {
		restore: () => (api.regenerateAllAutoAliases = rebuild),
		/** Resolves once every rebuild asked for so far has run. */
		async rebuilt() {
			while (pending > 0) await new Promise(r => setTimeout(r, 20));
		},
	};
}

describe("ready means routed (one process): a service that (re)joins is served before ready says 200, and never 404", function () {
	this.timeout(60_000);
	let platform: TestPlatform;
	let analyses: ServiceSchema;

	before(async () => {
		platform = await startPlatform();
		analyses = (await import("../../services/documents/analyses.service.ts")).default as unknown as ServiceSchema;
	});
	after(async () => platform?.stop());

	it("answers /health/ready 503 and the service's paths 503 with Retry-After until its routes are built, then 200 and routed", async () => {
		const { baseUrl, broker } = platform;
		await broker.destroyService(broker.getLocalService("analyses")!);
		expect(await untilStatus(baseUrl, "/api/v1/analyses/a1", 503)).to.equal(503);
		// The rebuild after the departure has run (at moleculer-web's own pace).
		while (!routesAreCurrent(broker.getLocalService("api")!)) await new Promise(r => setTimeout(r, 5));
		// Long enough for the two requests below on a loaded machine.
		const slow = slowRouteRebuilds(broker, 5_000);
		try {
			broker.createService(analyses);
			const registered = () => broker.registry.getServiceList({ onlyAvailable: true }).some(service => service.name === "analyses");
			while (!registered()) await new Promise(r => setTimeout(r, 5));
			// Registered, healthy, and not routed yet.
			const ready = await http(baseUrl, "GET", "/health/ready");
			expect(ready.status, JSON.stringify(ready.body)).to.equal(503);
			expect(ready.body.checks).to.include({ routes: "rebuilding" });
			const res = await fetch(`${baseUrl}/api/v1/analyses/a1`);
			expect(res.status).to.equal(503);
			expect(res.headers.get("retry-after")).to.equal("1");
			expect(await res.json()).to.deep.include({ error: { type: "SERVICE_UNAVAILABLE", message: "The gateway is updating its routes; try again in a moment", code: 503 } });
		} finally {
			slow.restore();
		}
		// Ready first, then the route: once ready has said 200, the route must already be served.
		const deadline = Date.now() + 15_000;
		let ready = 0;
		while (ready !== 200 && Date.now() < deadline) ready = (await http(baseUrl, "GET", "/health/ready")).status;
		expect(ready).to.equal(200);
		expect(await statusOf(baseUrl, "/api/v1/analyses/a1")).to.equal(401);
		// A path nobody serves is still 404 once the routes are built.
		expect(await statusOf(baseUrl, "/api/v1/nothing-here")).to.equal(404);
	});

	it("never answers 404 for a path of a service that leaves and returns while a client keeps asking", async () => {
		const { baseUrl, broker } = platform;
		const probe = keepRequesting(baseUrl, "/api/v1/analyses/a1");
		const slow = slowRouteRebuilds(broker, 500);
		try {
			for (let round = 0; round < 2; round++) {
				await broker.destroyService(broker.getLocalService("analyses")!);
				await slow.rebuilt();
				expect(await statusOf(baseUrl, "/api/v1/analyses/a1")).to.equal(503);
				broker.createService(analyses);
				expect(await untilStatus(baseUrl, "/api/v1/analyses/a1", 401)).to.equal(401);
			}
		} finally {
			slow.restore();
		}
		expect([...new Set(await probe.stop())].sort()).to.deep.equal([401, 503]);
	});
});

describe("no 404 for a route that exists over NATS: a remote service leaving and rejoining while a client keeps asking", function () {
	this.timeout(120_000);
	let db: TestDatabase | undefined;
	let platform: TestPlatform | undefined;
	let remote: ServiceBroker | undefined;
	const namespace = `rj${Date.now().toString(36)}`;

	const startRemote = async () => {
		remote = new ServiceBroker({ namespace, nodeID: `${namespace}-remote`, transporter: { type: "NATS", options: { url: TEST_NATS_URL } }, logger: false });
		remote.createService(newcomer);
		await remote.start();
	};

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		await startRemote();
		platform = await startPlatform({
			services: ["api", "auth"],
			env: { TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace, JWT_SECRET: "remote-service-test-secret-0123456789ab" },
		});
	});

	after(async () => {
		await remote?.stop();
		await platform?.stop();
		await db?.drop();
	});

	it("answers its paths 401 (routed) or 503 (leaving, or routes being rebuilt), never 404", async () => {
		const baseUrl = platform!.baseUrl;
		const path = "/api/v1/tuning/jobs/j1";
		expect(await untilStatus(baseUrl, path, 401)).to.equal(401);
		const probe = keepRequesting(baseUrl, path);
		try {
			for (let round = 0; round < 3; round++) {
				await remote!.stop();
				expect(await untilStatus(baseUrl, path, 503), `round ${round}: gone`).to.equal(503);
				await startRemote();
				expect(await untilStatus(baseUrl, path, 401), `round ${round}: back`).to.equal(401);
			}
		} finally {
			const statuses = await probe.stop();
			expect([...new Set(statuses)].sort()).to.deep.equal([401, 503]);
		}
	});
});
