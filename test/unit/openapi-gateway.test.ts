import { expect } from "chai";
import type { ServiceSchema } from "moleculer";
import { Validator } from "@seriousme/openapi-schema-validator";
import { startPlatform, useGatewayWithRemoteService, type TestPlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";

/** Stands in for the optimizer service: rest actions with params and docs, and one that must stay hidden. */
const docsProbe: ServiceSchema = {
	name: "optimizer",
	actions: {
		health: () => ({ database: true }),
		startStudy: {
			rest: "POST /studies",
			params: { name: "string|max:60", budget: { type: "object", props: { maxTrials: "number|integer|positive" } }, seed: { type: "number", optional: true } },
			openapi: { summary: "Start a study", responses: { "202": { description: "Accepted", example: { id: "s1", status: "queued" } } } },
			handler: () => ({ id: "s1", status: "queued" }),
		},
		getStudy: { rest: "GET /studies/:id", params: { id: "string" }, handler: () => ({}) },
		internalOnly: { visibility: "public", rest: "GET /internal", handler: () => ({}) },
	},
};

async function openApi(baseUrl: string) {
	const res = await http(baseUrl, "GET", "/api/openapi.json");
	expect(res.status).to.equal(200);
	return res;
}

/** The gateway rebuilds its routes a debounce after the registry changes; look until the docs follow. */
async function waitForDocs(baseUrl: string, done: (paths: Record<string, any>) => boolean): Promise<Record<string, any>> {
	let paths: Record<string, any> = {};
	for (let i = 0; i < 60; i++) {
		paths = (await openApi(baseUrl)).body.paths;
		if (done(paths)) return paths;
		await new Promise(r => setTimeout(r, 100));
	}
	return paths;
}

function expectProbeDocumented(paths: Record<string, any>): void {
	const start = paths["/api/v1/optimizer/studies"]?.post;
	expect(start, "POST /api/v1/optimizer/studies").to.exist;
	expect(start.summary).to.equal("Start a study");
	expect(start.responses["202"].content["application/json"].example).to.deep.equal({ id: "s1", status: "queued" });
	expect(start.requestBody.content["application/json"].schema).to.deep.equal({
		type: "object",
		properties: {
			name: { type: "string", maxLength: 60 },
			budget: { type: "object", properties: { maxTrials: { type: "integer", exclusiveMinimum: 0 } }, required: ["maxTrials"] },
			seed: { type: "number" },
		},
		required: ["name", "budget"],
	});
	expect(paths["/api/v1/optimizer/studies/{id}"].get.parameters[0]).to.deep.equal({ name: "id", in: "path", required: true, schema: { type: "string" } });
	expect(paths).to.not.have.property("/api/v1/optimizer/internal");
}

describe("OpenAPI: GET /api/openapi.json from the running gateway", () => {
	let platform: TestPlatform;

	before(async () => {
		platform = await startPlatform({ services: ["api", "auth", "documents", "llm"], extraServices: [docsProbe] });
	});
	after(async () => platform?.stop());

	it("describes the registered actions as a valid OpenAPI 3.1 document", async () => {
		const res = await openApi(platform.baseUrl);
		expect(res.headers.get("content-type")).to.match(/^application\/json/);
		const result = await new Validator().validate(structuredClone(res.body));
		expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).to.deep.equal([]);
		expectProbeDocumented(res.body.paths);
		// The gateway's own routes and the auth service's are there too.
		expect(res.body.paths["/health/ready"].get.security).to.deep.equal([]);
		expect(res.body.paths["/api/v1/auth/login"].post.security).to.deep.equal([]);
	});

	it("serves the cached document with an ETag, and 304 when it has not changed", async () => {
		const first = await openApi(platform.baseUrl);
		const etag = first.headers.get("etag");
		expect(etag).to.match(/^"[\w-]+"$/);
		expect((await openApi(platform.baseUrl)).headers.get("etag")).to.equal(etag);
		const again = await http(platform.baseUrl, "GET", "/api/openapi.json", { headers: { "if-none-match": etag! } });
		expect(again.status).to.equal(304);
		expect(again.text).to.equal("");
	});

	it("follows the registry: a service that leaves disappears, one that arrives appears", async () => {
		await platform.broker.destroyService(platform.broker.getLocalService("optimizer")!);
		const without = await waitForDocs(platform.baseUrl, paths => !paths["/api/v1/optimizer/studies"]);
		expect(without).to.not.have.property("/api/v1/optimizer/studies");
		platform.broker.createService(docsProbe);
		expectProbeDocumented(await waitForDocs(platform.baseUrl, paths => Boolean(paths["/api/v1/optimizer/studies"])));
	});
});

describe("OpenAPI: actions of services on other nodes (NATS)", function () {
	this.timeout(60_000);
	const split = useGatewayWithRemoteService(docsProbe, ["api", "auth", "documents", "llm"]);

	it("documents a remote service's actions, texts and examples included, and drops them when it leaves", async () => {
		expectProbeDocumented(await waitForDocs(split.platform.baseUrl, paths => Boolean(paths["/api/v1/optimizer/studies"])));
		await split.remote.stop();
		const without = await waitForDocs(split.platform.baseUrl, paths => !paths["/api/v1/optimizer/studies"]);
		expect(without).to.not.have.property("/api/v1/optimizer/studies");
	});
});
