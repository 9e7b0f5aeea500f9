import crypto from "node:crypto";
import { expect } from "chai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";

type Schema = Record<string, any>;

interface NumericParameter {
	method: string;
	path: string;
	/** `query` parameters go in the URL, `body` ones in the JSON body (dotted path for nested ones). */
	in: "query" | "body";
	name: string;
	schema: Schema;
}

/**
 * Valid required fields for routes whose errors name one parameter only (OpenAI's shape has one
 * `param`): with them missing, the answer would name them instead of the number under test.
 */
const REQUIRED_FIELDS: Record<string, Record<string, unknown>> = {
	"/v1/chat/completions": { model: "local:extractive", messages: [{ role: "user", content: "x" }] },
};

const isNumeric = (schema: Schema | undefined) => schema?.type === "number" || schema?.type === "integer";

/** Every numeric property of a body schema, nested objects included, by dotted path. */
function numericProperties(schema: Schema | undefined, prefix = ""): { name: string; schema: Schema }[] {
	if (!schema || typeof schema !== "object") return [];
	const found: { name: string; schema: Schema }[] = [];
	for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
		const path = prefix ? `${prefix}.${name}` : name;
		if (isNumeric(property)) found.push({ name: path, schema: property });
		found.push(...numericProperties(property, path));
		for (const alternative of property.anyOf ?? []) found.push(...numericProperties(alternative, path));
	}
	return found;
}

function withValue(name: string, value: unknown): Record<string, unknown> {
	const keys = name.split(".");
	let body: unknown = value;
	for (const key of keys.reverse()) body = { [key]: body };
	return body as Record<string, unknown>;
}

/**
 * Every numeric parameter the gateway publishes (its OpenAPI document, so a new one is walked too)
 * has a range, and a value outside it answers 422 naming the parameter, on both databases: before,
 * `offset=9999999999999999999999` reached SQL as 1e+22 and answered 500.
 */
for (const backend of BACKENDS) {
	describe(`numeric parameters have ranges (${backend.name})`, function () {
		this.timeout(120_000);
		const platform = usePlatform(backend, { env: { TRUST_PROXY: "true", LLM_USER_REQUESTS_PER_MINUTE: "1000000" } });

		it("publishes a minimum and a maximum for each, and answers 422 naming it outside them", async () => {
			const { accessToken } = await registerUser(platform.baseUrl);
			const spec = (await http(platform.baseUrl, "GET", "/api/openapi.json")).body;
			const parameters: NumericParameter[] = [];
			for (const [path, methods] of Object.entries(spec.paths as Record<string, Record<string, Schema>>)) {
				for (const [method, op] of Object.entries(methods)) {
					for (const p of (op.parameters ?? []) as Schema[]) {
						if (p.in === "query" && isNumeric(p.schema)) parameters.push({ method: method.toUpperCase(), path, in: "query", name: p.name, schema: p.schema });
					}
					for (const p of numericProperties(op.requestBody?.content?.["application/json"]?.schema)) parameters.push({ method: method.toUpperCase(), path, in: "body", ...p });
				}
			}
			expect(parameters.map(p => p.name), "numeric parameters found").to.include.members(["offset", "limit", "params.max_tokens", "max_tokens"]);

			const problems: string[] = [];
			let sent = 0;
			for (const parameter of parameters) {
				const what = `${parameter.method} ${parameter.path} ${parameter.in} ${parameter.name}`;
				const { minimum, exclusiveMinimum, maximum } = parameter.schema;
				if (maximum === undefined || (minimum === undefined && exclusiveMinimum === undefined)) {
					problems.push(`${what}: no ${maximum === undefined ? "maximum" : "minimum"} published`);
					continue;
				}
				const path = parameter.path.replace(/\{[^}]+\}/g, crypto.randomUUID());
				for (const value of [maximum + 1, (minimum ?? exclusiveMinimum) - 1, "9999999999999999999999"]) {
					const headers = { "x-forwarded-for": `10.78.${(sent >> 8) & 255}.${sent++ & 255}` };
					const res =
						parameter.in === "query"
							? await http(platform.baseUrl, parameter.method, `${path}?${parameter.name}=${value}`, { token: accessToken, headers })
							: await http(platform.baseUrl, parameter.method, path, { token: accessToken, headers, body: { ...REQUIRED_FIELDS[parameter.path], ...withValue(parameter.name, typeof value === "string" ? Number(value) : value) } });
					// An administrators' route refuses a user before looking at any parameter.
					if (res.status === 403) continue;
					if (res.status !== 422) problems.push(`${what}=${value}: ${res.status} ${res.text.slice(0, 160)}`);
					else if (!res.text.includes(parameter.name.split(".").pop()!)) problems.push(`${what}=${value}: the 422 does not name it: ${res.text.slice(0, 160)}`);
				}
			}
			expect(problems, `${problems.length} problems over ${parameters.length} parameters`).to.deep.equal([]);
		});

		it("answers GET /api/v1/documents?offset=9999999999999999999999 with 422 naming offset", async () => {
			const { accessToken } = await registerUser(platform.baseUrl);
			const res = await http(platform.baseUrl, "GET", "/api/v1/documents?offset=9999999999999999999999", { token: accessToken });
			expect(res.status, res.text).to.equal(422);
			expect(res.body.error.type).to.equal("VALIDATION_ERROR");
			expect(res.body.error.details.map((d: { field: string }) => d.field)).to.deep.equal(["offset"]);
		});
	});
}
