import { expect } from "chai";
import { paramsToJsonSchema, ruleToJsonSchema } from "../../services/api/openapi/params-to-json-schema.ts";

describe("OpenAPI: fastest-validator params as JSON Schema", () => {
	it("reads shorthand strings the way the validator does", () => {
		const schema = paramsToJsonSchema({ name: "string|min:3|max:10", tags: "string[]", email: "email", limit: "number|integer|optional|convert:true" });
		expect(schema).to.deep.equal({
			type: "object",
			properties: {
				name: { type: "string", minLength: 3, maxLength: 10 },
				tags: { type: "array", items: { type: "string" } },
				email: { type: "string", format: "email" },
				limit: { type: "integer" },
			},
			required: ["name", "tags", "email"],
		});
	});

	it("maps numbers, enums, equal, url, uuid and dates", () => {
		expect(ruleToJsonSchema({ type: "number", positive: true, max: 100 })).to.deep.equal({ type: "number", maximum: 100, exclusiveMinimum: 0 });
		expect(ruleToJsonSchema({ type: "number", integer: true, min: 1, negative: false })).to.deep.equal({ type: "integer", minimum: 1 });
		expect(ruleToJsonSchema({ type: "enum", values: ["queued", "running"] })).to.deep.equal({ enum: ["queued", "running"] });
		expect(ruleToJsonSchema({ type: "equal", value: true })).to.deep.equal({ const: true });
		expect(ruleToJsonSchema("url")).to.deep.equal({ type: "string", format: "uri" });
		expect(ruleToJsonSchema("uuid")).to.deep.equal({ type: "string", format: "uuid" });
		expect(ruleToJsonSchema({ type: "date", convert: true })).to.deep.equal({ type: "string", format: "date-time" });
	});

	it("describes nested objects, records, tuples and strict objects", () => {
		const schema = ruleToJsonSchema({
			type: "object",
			strict: true,
			props: {
				space: { type: "record", key: "string", value: { type: "object", props: { min: "number", max: "number|optional" } } },
				pair: { type: "tuple", items: ["string", "number"] },
			},
		});
		expect(schema).to.deep.equal({
			type: "object",
			additionalProperties: false,
			required: ["space", "pair"],
			properties: {
				space: {
					type: "object",
					propertyNames: { type: "string" },
					additionalProperties: { type: "object", properties: { min: { type: "number" }, max: { type: "number" } }, required: ["min"] },
				},
				pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], minItems: 2, maxItems: 2 },
			},
		});
	});

	it("treats strict: \"remove\" as accepting (and dropping) unknown properties", () => {
		expect(ruleToJsonSchema({ type: "object", strict: "remove", props: { a: "string" } })).to.not.have.property("additionalProperties");
	});

	it("turns alternatives into anyOf, nullable into a null type, and leaves forbidden fields out", () => {
		const schema = paramsToJsonSchema({
			input: [{ type: "string" }, { type: "array", items: "string" }],
			note: { type: "string", nullable: true, optional: true },
			anyNull: { type: "multi", rules: ["string", "number"], nullable: true, optional: true },
			password: { type: "forbidden" },
		});
		expect(schema.properties).to.deep.equal({
			input: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
			note: { type: ["string", "null"] },
			anyNull: { anyOf: [{ anyOf: [{ type: "string" }, { type: "number" }] }, { type: "null" }] },
		});
		expect(schema.required).to.deep.equal(["input"]);
	});

	it("keeps patterns (RegExp or string) and the string flags' patterns", () => {
		expect(ruleToJsonSchema({ type: "string", pattern: /^[a-z]+$/i })).to.deep.equal({ type: "string", pattern: "^[a-z]+$" });
		expect(ruleToJsonSchema({ type: "string", pattern: "^x$" })).to.deep.equal({ type: "string", pattern: "^x$" });
		expect(ruleToJsonSchema({ type: "string", alphanum: true, empty: false })).to.deep.equal({ type: "string", minLength: 1, pattern: "^[a-zA-Z0-9]+$" });
		// A RegExp that crossed the transporter as JSON is {}: no pattern rather than a wrong one.
		expect(ruleToJsonSchema({ type: "string", pattern: {} })).to.deep.equal({ type: "string" });
	});

	it("a default makes a field optional and is documented; descriptions, labels and examples carry over", () => {
		const schema = paramsToJsonSchema({
			limit: { type: "number", default: 20, description: "Page size", label: "Limit", example: 50 },
			strategy: { type: "string", description: "How providers are combined", examples: ["parallel", "race"] },
		});
		expect(schema.properties).to.deep.equal({
			limit: { type: "number", default: 20, description: "Page size", title: "Limit", examples: [50] },
			strategy: { type: "string", description: "How providers are combined", examples: ["parallel", "race"] },
		});
		expect(schema.required).to.deep.equal(["strategy"]);
	});

	it("reads $$root schemas as one rule and $$strict as closing the object", () => {
		expect(paramsToJsonSchema({ $$root: true, type: "array", items: "number" })).to.deep.equal({ type: "array", items: { type: "number" } });
		expect(paramsToJsonSchema({ $$strict: true, a: "string" })).to.deep.equal({ type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false });
	});

	it("documents unknown and custom rules as 'anything', and never calls or keeps functions", () => {
		let called = false;
		const schema = paramsToJsonSchema({
			file: { type: "any" },
			checked: { type: "custom", check: () => (called = true) },
			stamp: { type: "number", default: () => Date.now() },
		});
		expect(schema.properties).to.deep.equal({ file: {}, checked: {}, stamp: { type: "number" } });
		expect(called).to.equal(false);
	});

	it("leaves the action's own schema untouched", () => {
		const params = {
			opts: { $$type: "object|optional", depth: "number" },
			list: { type: "array", items: "string|min:1" },
			re: { type: "string", pattern: /^a/ },
		};
		const before = { opts: { ...params.opts }, list: { ...params.list }, re: { ...params.re } };
		paramsToJsonSchema(params);
		expect(params).to.deep.equal(before);
		expect(params.re.pattern).to.be.instanceOf(RegExp);
	});

	it("survives rules the validator accepts but cannot normalise (an array without items)", () => {
		expect(paramsToJsonSchema({ messages: "array", extra: "array|optional" })).to.deep.equal({
			type: "object",
			properties: { messages: { type: "array" }, extra: { type: "array" } },
			required: ["messages"],
		});
	});
});
