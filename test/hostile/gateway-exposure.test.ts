/**
 * What a hostile client learns or dodges at the gateway's edge: addresses it writes into
 * X-Forwarded-For, metrics it scrapes without a token, answers a shared cache would keep, and
 * listeners nobody asked for.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { startPlatform, usePlatform } from "../helpers/platform.ts";
import { http, type HttpResult } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";
import { extractedDocument, uploadFile } from "../helpers/documents.ts";
import { listeningSockets, newListeners } from "../helpers/listening-sockets.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const METRICS_TOKEN = "gateway-exposure-metrics-token-0123456789abcdef";
const CLOUDFLARE_EDGE = "104.22.17.40";

/** render.yaml's TRUST_PROXY; this suite's peer is 127.0.0.1, so loopback stands in for Render's private proxy. */
function renderTrustProxy(): string {
	const web = parse(fs.readFileSync(path.join(ROOT, "render.yaml"), "utf8")).services.find((s: { type: string }) => s.type === "web");
	return web.envVars.find((v: { key: string }) => v.key === "TRUST_PROXY").value;
}

/** Requests left in the per-address window after one request with this X-Forwarded-For. */
async function remainingFor(baseUrl: string, forwardedFor: string): Promise<number> {
	const res = await http(baseUrl, "GET", "/api/v1/auth/me", { headers: { "x-forwarded-for": forwardedFor } });
	expect(res.status).to.equal(401);
	return Number(res.headers.get("x-rate-limit-remaining"));
}

describe("hostile: the gateway's exposure", function () {
	this.timeout(60_000);

	describe("behind Render's proxies, with a metrics token", () => {
		const platform = usePlatform({ env: { TRUST_PROXY: `${renderTrustProxy()}, loopback`, METRICS_TOKEN } });

		it("gives each client behind one Cloudflare edge its own per-address limit, whatever it writes to the left", async () => {
			const first = await remainingFor(platform.baseUrl, `198.51.100.1, ${CLOUDFLARE_EDGE}`);
			// Another client through the same edge: a bucket of its own (taking the last entry shared the edge's).
			expect(await remainingFor(platform.baseUrl, `198.51.100.2, ${CLOUDFLARE_EDGE}`)).to.equal(first);
			// The first client again, with invented addresses in front: still its own bucket, one request further.
			expect(await remainingFor(platform.baseUrl, `203.0.113.9, 198.51.100.1, ${CLOUDFLARE_EDGE}`)).to.equal(first - 1);
		});

		it("serves /metrics only with the bearer token, and never to be cached", async () => {
			const attempts: Record<string, string>[] = [{}, { authorization: "Bearer wrong-token" }, { authorization: `Bearer ${METRICS_TOKEN}x` }, { authorization: METRICS_TOKEN }];
			for (const headers of attempts) {
				const refused = await http(platform.baseUrl, "GET", "/metrics", { headers });
				expect(refused.status, JSON.stringify(headers)).to.equal(401);
				expect(refused.body).to.deep.equal({ error: { type: "UNAUTHORIZED", message: "Metrics need Authorization: Bearer <METRICS_TOKEN>", code: 401 } });
				expect(refused.headers.get("www-authenticate")).to.match(/^Bearer/);
				expect(refused.text).to.not.match(/process_|moleculer_/);
			}
			const allowed = await http(platform.baseUrl, "GET", "/metrics", { token: METRICS_TOKEN });
			expect(allowed.status).to.equal(200);
			expect(allowed.text).to.match(/^# TYPE process_memory_heap_size_total gauge$/m);
			expect(allowed.headers.get("cache-control")).to.equal("no-store");
		});

		it("marks every answer carrying a token, a key or personal data `Cache-Control: no-store`, errors and event streams included", async () => {
			const base = platform.baseUrl;
			const user = await registerUser(base);
			const token = user.accessToken;
			const answers: [string, { status: number; headers: Headers }][] = [];
			const record = (name: string, res: HttpResult) => answers.push([name, res]);

			record("register", await http(base, "POST", "/api/v1/auth/register", { body: { email: `cc-${Date.now()}@example.test`, password: user.password } }));
			record("login", await http(base, "POST", "/api/v1/auth/login", { body: { email: user.email, password: user.password } }));
			record("refresh", await http(base, "POST", "/api/v1/auth/refresh", { body: { refreshToken: user.refreshToken } }));
			record("me", await http(base, "GET", "/api/v1/auth/me", { token }));
			const key = await http(base, "POST", "/api/v1/auth/api-keys", { token, body: { name: "cache test" } });
			record("api key created", key);
			record("api keys", await http(base, "GET", "/api/v1/auth/api-keys", { token }));
			const upload = await uploadFile(base, token, { name: "notes.txt", bytes: "Quarterly notes. Revenue grew in every region. ".repeat(20), type: "text/plain" });
			record("upload", upload);
			const documentId = upload.body.id;
			await extractedDocument(base, token, documentId);
			record("text", await http(base, "GET", `/api/v1/documents/${documentId}/text`, { token }));
			record("documents", await http(base, "GET", "/api/v1/documents", { token }));
			record("document", await http(base, "GET", `/api/v1/documents/${documentId}`, { token }));
			const analysis = await http(base, "POST", `/api/v1/documents/${documentId}/analyses`, { token, body: { providers: ["local"] } });
			record("analysis created", analysis);
			record("usage", await http(base, "GET", "/api/v1/llm/usage", { token }));
			record("completion", await http(base, "POST", "/api/v1/llm/complete", { token, body: { prompt: "Summarise: the sky is blue.", providers: ["local"] } }));
			record("openai models", await http(base, "GET", "/v1/models", { token: key.body.key }));
			record("401", await http(base, "GET", "/api/v1/auth/me"));
			record("404 under /api/v1", await http(base, "GET", "/api/v1/nothing-here", { token }));

			// An event stream's action asks for `no-cache` (a cache may still store it); the gateway's rule wins.
			const abort = new AbortController();
			const stream = await fetch(`${base}/api/v1/analyses/${analysis.body.id}/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
			answers.push(["analysis events", stream]);
			abort.abort();

			const expected: Record<string, number> = { register: 201, "api key created": 201, upload: 201, "analysis created": 202, "analysis events": 200, "401": 401, "404 under /api/v1": 404 };
			for (const [name, res] of answers) {
				expect(res.status, name).to.equal(expected[name] ?? 200);
				expect(res.headers.get("cache-control"), name).to.equal("no-store");
			}
			// Public documents stay cacheable: the rule covers what is someone's, not everything.
			expect((await http(base, "GET", "/api/openapi.json")).headers.get("cache-control")).to.not.equal("no-store");
		});
	});

	describe("with the defaults (no TRUST_PROXY, no METRICS_TOKEN)", () => {
		it("listens on the gateway's port only, believes no X-Forwarded-For, and has no /metrics on the public port", async () => {
			const before = listeningSockets();
			const platform = await startPlatform();
			try {
				// Moleculer's Prometheus reporter used to open a second listener, on all interfaces, on a random port.
				await new Promise(resolve => setTimeout(resolve, 300));
				const port = Number(new URL(platform.baseUrl).port);
				expect(newListeners(before, listeningSockets())).to.deep.equal([{ address: "127.0.0.1", port }]);

				const first = await remainingFor(platform.baseUrl, "198.51.100.1");
				expect(await remainingFor(platform.baseUrl, "198.51.100.2")).to.equal(first - 1);
				expect(await remainingFor(platform.baseUrl, `198.51.100.3, ${CLOUDFLARE_EDGE}`)).to.equal(first - 2);

				const metrics = await http(platform.baseUrl, "GET", "/metrics", { token: METRICS_TOKEN });
				const unknown = await http(platform.baseUrl, "GET", "/no-such-path");
				expect(metrics.status).to.equal(404);
				expect(metrics.body).to.deep.equal(unknown.body);
			} finally {
				await platform.stop();
			}
		});
	});
});
