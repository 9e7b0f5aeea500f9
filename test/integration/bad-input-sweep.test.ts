import { expect } from "chai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";
import { uploadFile } from "../helpers/documents.ts";

/** Values of the wrong type, size or content, for any field. */
const WRONG_VALUES: unknown[] = [null, -1, 1e308, true, "", "x".repeat(70_000), "💥", [], [1, "a"], {}, { $ne: null }, { nested: { deep: [{}] } }];
/** Bodies that are not the JSON object every action takes. */
const MALFORMED_BODIES = ["{", "[]", "null", "123", '"text"', `{"a":${"[".repeat(40)}${"]".repeat(40)}}`];
/** Path ids that are not ids of the caller's objects. */
const WRONG_IDS = ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "x".repeat(3_000), "00000000-0000-0000-0000-000000000000", "%C3%84%20"];
/** Routes whose answer is a stream of events: a wrong id still answers JSON, a right one would hold the connection. */
const STREAMS = /\/events$/;

interface Operation {
	method: string;
	path: string;
	bodyFields: string[];
}

/**
 * Every operation the gateway publishes (its OpenAPI document, so a new route is swept too), sent
 * wrong ids, malformed bodies and wrong values in each field it documents: the answer is never a
 * 5xx, always the error shape, never a stack trace; and the platform still serves afterwards.
 */
for (const backend of BACKENDS) {
	describe(`bad input on every published route (${backend.name})`, function () {
		this.timeout(120_000);
		const platform = usePlatform(backend, { env: { TRUST_PROXY: "true", LLM_USER_REQUESTS_PER_MINUTE: "1000000" } });

		it("never answers 5xx, always answers the error shape, never shows a stack trace", async () => {
			const { accessToken } = await registerUser(platform.baseUrl);
			const document = await uploadFile(platform.baseUrl, accessToken, { name: "sweep.txt", type: "text/plain", bytes: Buffer.from("Solar panels in Oslo. Contact ada@example.com.") });
			const spec = (await http(platform.baseUrl, "GET", "/api/openapi.json")).body;
			const operations: Operation[] = Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
				Object.entries(methods).map(([method, op]) => ({
					method: method.toUpperCase(),
					path,
					bodyFields: Object.keys(op.requestBody?.content?.["application/json"]?.schema?.properties ?? {}),
				}))
			);
			expect(operations.length, "operations published").to.be.above(30);

			const problems: string[] = [];
			let sent = 0;
			const send = async (method: string, path: string, raw?: string) => {
				// One address per request: the sweep must not be measuring the per-address limit.
				const headers = { "content-type": "application/json", "x-forwarded-for": `10.77.${(sent >> 8) & 255}.${sent++ & 255}` };
				const res = await http(platform.baseUrl, method, path, { token: accessToken, raw, headers });
				const what = `${method} ${path.slice(0, 80)} ${String(raw ?? "").slice(0, 60)} -> ${res.status}`;
				if (res.status >= 500 && res.status !== 503) problems.push(`${what} ${res.text.slice(0, 200)}`);
				if (res.status >= 400 && typeof (res.body as any)?.error?.message !== "string") problems.push(`${what}: not the error shape: ${res.text.slice(0, 100)}`);
				if (/\bat .+\.(ts|js):\d+/.test(res.text)) problems.push(`${what}: a stack trace`);
			};

			for (const op of operations) {
				if (op.path === "/api/v1/auth/logout") continue; // would end the sweep's own session
				const ids = op.path.includes("{") ? [...WRONG_IDS, ...(STREAMS.test(op.path) ? [] : [document.body.id])] : [undefined];
				for (const id of ids) {
					const path = id === undefined ? op.path : op.path.replace(/\{[^}]+\}/g, id);
					if (op.method === "GET" || op.method === "DELETE") {
						await send(op.method, path);
						await send(op.method, `${path}?limit=-5&offset=abc&limit=99999999999&x[]=1`);
						continue;
					}
					for (const raw of MALFORMED_BODIES) await send(op.method, path, raw);
					for (const value of WRONG_VALUES) await send(op.method, path, JSON.stringify(value));
					for (const field of op.bodyFields) for (const value of WRONG_VALUES) await send(op.method, path, JSON.stringify({ [field]: value }));
				}
			}
			expect(problems, `${problems.length} of ${sent} requests`).to.deep.equal([]);
			expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: accessToken })).status, "still serving").to.equal(200);
		});
	});
}
