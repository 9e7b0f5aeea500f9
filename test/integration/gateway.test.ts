import { expect } from "chai";
import { BACKENDS, startPlatform, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";

for (const backend of BACKENDS) {
	describe(`gateway basics (${backend.name})`, function () {
		const platform = usePlatform(backend);

		it("answers /health/live and /health/ready with every service checked", async () => {
			const live = await http(platform.baseUrl, "GET", "/health/live");
			expect(live.status).to.equal(200);
			expect(live.body.status).to.equal("ok");
			const ready = await http(platform.baseUrl, "GET", "/health/ready");
			expect(ready.status).to.equal(200);
			expect(ready.body.checks).to.deep.equal({ auth: "ok", documents: "ok", analyses: "ok", llm: "ok", optimizer: "ok" });
		});

		it("answers unknown routes with the JSON error shape and 404", async () => {
			for (const path of ["/nope", "/api/v1/nothing-here", "/api/v2/documents"]) {
				const res = await http(platform.baseUrl, "GET", path);
				expect(res.status, path).to.equal(404);
				expect(res.headers.get("content-type")).to.match(/application\/json/);
				expect(res.body).to.deep.equal({ error: { type: "NOT_FOUND", message: "Not found", code: 404 } });
			}
		});

		it("serves Prometheus metrics as text", async () => {
			const res = await http(platform.baseUrl, "GET", "/metrics");
			expect(res.status).to.equal(200);
			expect(res.headers.get("content-type")).to.match(/text\/plain/);
			expect(res.text).to.match(/^# TYPE process_memory_heap_size_total gauge$/m);
			expect(res.text).to.match(/moleculer_request_total/);
		});

		it("echoes the caller's request id", async () => {
			const res = await http(platform.baseUrl, "GET", "/api/v1/nothing-here", { headers: { "x-request-id": "req-abc-123" } });
			expect(res.headers.get("x-request-id")).to.equal("req-abc-123");
		});
	});
}

describe("gateway readiness", () => {
	it("reports not ready, naming the service, while a service the platform needs is not running", async () => {
		const platform = await startPlatform({ services: ["api", "auth", "documents", "llm"] });
		try {
			const res = await http(platform.baseUrl, "GET", "/health/ready");
			expect(res.status).to.equal(503);
			expect(res.body.status).to.equal("not ready");
			expect(res.body.checks.optimizer).to.equal("not running");
			expect(res.body.checks.auth).to.equal("ok");
		} finally {
			await platform.stop();
		}
	});
});

describe("gateway memory guard", () => {
	for (const budget of ["128", "65536"]) {
		it(`reports degraded exactly when RSS is above 85% of MEMORY_BUDGET_MB=${budget}`, async () => {
			const platform = await startPlatform({ env: { MEMORY_BUDGET_MB: budget } });
			try {
				const res = await http(platform.baseUrl, "GET", "/health/ready");
				expect(res.status).to.equal(200);
				expect(res.body.memory.budgetMb).to.equal(Number(budget));
				const high = res.body.memory.rssMb > Number(budget) * 0.85;
				expect(res.body.status).to.equal(high ? "degraded" : "ready");
			} finally {
				await platform.stop();
			}
		});
	}
});
