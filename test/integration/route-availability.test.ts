import { expect } from "chai";
import type { ServiceSchema } from "moleculer";
import { startPlatform, useGatewayWithRemoteService, type TestPlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";

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
		// Paths nobody served stay 404.
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
