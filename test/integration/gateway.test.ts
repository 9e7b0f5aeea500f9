import { expect } from "chai";
import { BACKENDS, startPlatform, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";

const METRICS_TOKEN = "gateway-test-metrics-token-0123456789abcdef";

for (const backend of BACKENDS) {
	describe(`gateway basics (${backend.name})`, function () {
		const platform = usePlatform(backend, { env: { METRICS_TOKEN } });

		it("answers /health/live and /health/ready with every service checked", async () => {
			const live = await http(platform.baseUrl, "GET", "/health/live");
			expect(live.status).to.equal(200);
			expect(live.body.status).to.equal("ok");
			const ready = await http(platform.baseUrl, "GET", "/health/ready");
			expect(ready.status).to.equal(200);
			expect(ready.body.checks).to.deep.equal({ auth: "ok", documents: "ok", analyses: "ok", llm: "ok", optimizer: "ok", routes: "ok" });
		});

		it("answers unknown routes with the JSON error shape and 404", async () => {
			for (const path of ["/nope", "/api/v1/nothing-here", "/api/v2/documents"]) {
				const res = await http(platform.baseUrl, "GET", path);
				expect(res.status, path).to.equal(404);
				expect(res.headers.get("content-type")).to.match(/application\/json/);
				expect(res.body).to.deep.equal({ error: { type: "NOT_FOUND", message: "Not found", code: 404 } });
			}
		});

		it("serves Prometheus metrics as text to holders of METRICS_TOKEN", async () => {
			expect((await http(platform.baseUrl, "GET", "/metrics")).status).to.equal(401);
			const res = await http(platform.baseUrl, "GET", "/metrics", { token: METRICS_TOKEN });
			expect(res.status).to.equal(200);
			expect(res.headers.get("content-type")).to.match(/text\/plain/);
			expect(res.text).to.match(/^# TYPE process_memory_heap_size_total gauge$/m);
			expect(res.text).to.match(/moleculer_request_total/);
		});

		it("refuses a NUL character in any parameter, nested or in the query, with 422 naming it, before any database sees it", async () => {
			const user = await registerUser(platform.baseUrl);
			const token = user.accessToken;
			const refused = [
				{ method: "POST", path: "/api/v1/llm/complete", body: { profile: "\u0000" }, field: "profile" },
				{ method: "POST", path: "/api/v1/llm/complete", body: { messages: [{ role: "user", content: "hi\u0000there" }], providers: ["local"] }, field: "messages.0.content" },
				{ method: "POST", path: "/api/v1/optimizer/studies", body: { name: "nul\u0000study" }, field: "name" },
				{ method: "GET", path: "/api/v1/documents?limit=10&tag=%00", field: "tag" },
				{ method: "DELETE", path: "/api/v1/profiles/a%00b", field: "name" },
			] as const;
			for (const request of refused) {
				const res = await http(platform.baseUrl, request.method, request.path, { token, body: "body" in request ? request.body : undefined });
				expect(res.status, `${request.method} ${request.path}`).to.equal(422);
				expect(res.body.error.type).to.equal("VALIDATION_ERROR");
				expect(res.body.error.message).to.contain(`\`${request.field}\``).and.to.contain("NUL");
				expect(res.body.error.details).to.deep.equal([{ type: "stringNul", field: request.field, message: res.body.error.message }]);
			}
			expect((await http(platform.baseUrl, "GET", "/api/v1/optimizer/studies", { token })).body.total, "no study was created").to.equal(0);

			const key = (await http(platform.baseUrl, "POST", "/api/v1/auth/api-keys", { token, body: { name: "nul test" } })).body.key;
			const chat = await http(platform.baseUrl, "POST", "/v1/chat/completions", { token: key, body: { model: "fast", messages: [{ role: "user", content: "\u0000" }] } });
			expect(chat.status).to.equal(422);
			expect(chat.body.error).to.include({ type: "invalid_request_error", code: "validation_error" });
			expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token })).status, "still serving").to.equal(200);
		});

		it("refuses parameters nested deeper than 32 levels with 422 (JSON.parse takes them; sending them to another node would not)", async () => {
			const { accessToken } = await registerUser(platform.baseUrl);
			// Written out by hand: JSON.stringify itself gives up on nesting this deep.
			const deep = `{"prompt":"hi","extra":${"[".repeat(5_000)}"bottom"${"]".repeat(5_000)}}`;
			const res = await http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token: accessToken, raw: deep, headers: { "content-type": "application/json" } });
			expect(res.status).to.equal(422);
			expect(res.body.error.details[0]).to.include({ type: "objectTooDeep" });
			expect(res.body.error.details[0].field).to.match(/^extra\.0\.0/);
			let ordinary: unknown = { a: 1 };
			for (let level = 0; level < 20; level++) ordinary = { nested: ordinary };
			const fine = await http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token: accessToken, body: { task: { types: ["language"], input: "Hello there, how are you?" }, providers: ["local"], extra: ordinary } });
			expect(fine.status, fine.text).to.equal(200);
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
