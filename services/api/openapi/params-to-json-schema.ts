import { createRequire } from "node:module";

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) fragment. */
export type JsonSchema = Record<string, unknown>;

/** A fastest-validator rule as an action declares it: full object, shorthand string, or array of alternatives. */
export type ValidatorRule = string | unknown[] | Record<string, unknown>;

// Only its normalize() is used: shorthands ("string|min:3"), arrays of alternatives and $$type objects
// are expanded by the library that Moleculer validates with, so the docs read rules exactly as it does.
// (Its typings declare an ES default export, but the package is CommonJS: require gets the class.)
const Validator = createRequire(import.meta.url)("fastest-validator") as (typeof import("fastest-validator"))["default"];
const validator = new Validator();

/**
 * Copies a rule without its functions (custom checks, computed defaults): normalize() rewrites the
 * object it gets, and an action's live schema must not change because someone read the docs.
 */
function plainCopy(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(plainCopy);
	if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
		return Object.fromEntries(
			Object.entries(value)
				.filter(([, v]) => typeof v !== "function")
				.map(([k, v]) => [k, plainCopy(v)])
		);
	}
	return value;
}

function normalize(rule: ValidatorRule): Record<string, any> {
	const copy = plainCopy(rule) as Record<string, any>;
	// normalize() recomputes a multi rule's `optional` from its alternatives; the declared one wins.
	const declaredOptional = copy?.optional === true;
	let normalized: Record<string, any>;
	try {
		normalized = validator.normalize(copy as never) as Record<string, any>;
	} catch {
		// normalize() trips over a few rules the validator itself accepts, e.g. "array" without items.
		normalized = typeof copy === "string" ? { type: String(copy).split("|")[0].trim(), optional: /\|\s*optional\b/.test(copy) } : copy && typeof copy === "object" && !Array.isArray(copy) ? copy : { type: "any" };
	}
	if (declaredOptional) normalized.optional = true;
	return normalized;
}

/** Patterns fastest-validator applies for its string flags, so the docs say the same. */
const STRING_FLAG_PATTERNS: Record<string, string> = {
	alpha: "^[a-zA-Z]+$",
	numeric: "^-?[0-9]\\d*(\\.\\d+)?$",
	alphanum: "^[a-zA-Z0-9]+$",
	alphadash: "^[a-zA-Z0-9_-]+$",
	hex: "^[0-9a-fA-F]+$",
	singleLine: "^[^\\r\\n]*$",
};

function patternSource(pattern: unknown): string | undefined {
	if (pattern instanceof RegExp) return pattern.source;
	// Over the transporter a RegExp arrives as {} (JSON); only a string pattern survives.
	return typeof pattern === "string" ? pattern : undefined;
}

function stringSchema(rule: Record<string, any>): JsonSchema {
	const schema: JsonSchema = { type: "string" };
	if (Array.isArray(rule.enum)) schema.enum = rule.enum;
	if (typeof rule.length === "number") schema.minLength = schema.maxLength = rule.length;
	if (typeof rule.min === "number") schema.minLength = rule.min;
	if (typeof rule.max === "number") schema.maxLength = rule.max;
	if (rule.empty === false && schema.minLength === undefined) schema.minLength = 1;
	const pattern = patternSource(rule.pattern) ?? Object.keys(STRING_FLAG_PATTERNS).map(flag => (rule[flag] ? STRING_FLAG_PATTERNS[flag] : undefined)).find(Boolean);
	if (pattern) schema.pattern = pattern;
	if (rule.base64) schema.contentEncoding = "base64";
	return schema;
}

function numberSchema(rule: Record<string, any>): JsonSchema {
	const schema: JsonSchema = { type: rule.integer ? "integer" : "number" };
	if (typeof rule.min === "number") schema.minimum = rule.min;
	if (typeof rule.max === "number") schema.maximum = rule.max;
	if (rule.positive) schema.exclusiveMinimum = 0;
	if (rule.negative) schema.exclusiveMaximum = 0;
	if (typeof rule.equal === "number") schema.const = rule.equal;
	if (typeof rule.notEqual === "number") schema.not = { const: rule.notEqual };
	return schema;
}

function arraySchema(rule: Record<string, any>): JsonSchema {
	const schema: JsonSchema = { type: "array" };
	if (rule.items !== undefined) schema.items = ruleToJsonSchema(rule.items);
	if (typeof rule.length === "number") schema.minItems = schema.maxItems = rule.length;
	if (typeof rule.min === "number") schema.minItems = rule.min;
	if (typeof rule.max === "number") schema.maxItems = rule.max;
	if (rule.empty === false && schema.minItems === undefined) schema.minItems = 1;
	if (rule.unique) schema.uniqueItems = true;
	if (Array.isArray(rule.enum)) schema.items = { ...(schema.items as JsonSchema), enum: rule.enum };
	return schema;
}

/**
 * The properties of an object rule. `forbidden` properties are left out: the API refuses them, so
 * they are not part of what a client may send.
 */
export function propsToJsonSchema(props: Record<string, ValidatorRule>, strict?: unknown): JsonSchema {
	const properties: Record<string, JsonSchema> = {};
	const required: string[] = [];
	for (const [name, raw] of Object.entries(props)) {
		if (name.startsWith("$$")) continue;
		const rule = normalize(raw);
		if (rule.type === "forbidden") continue;
		properties[name] = ruleToJsonSchema(rule);
		if (isRequired(rule)) required.push(name);
	}
	const schema: JsonSchema = { type: "object", properties };
	if (required.length > 0) schema.required = required;
	// strict: "remove" silently drops unknown properties, so only strict: true refuses them.
	if (strict === true) schema.additionalProperties = false;
	return schema;
}

function objectSchema(rule: Record<string, any>): JsonSchema {
	const schema: JsonSchema = rule.props ? propsToJsonSchema(rule.props, rule.strict) : { type: "object" };
	if (typeof rule.minProps === "number") schema.minProperties = rule.minProps;
	if (typeof rule.maxProps === "number") schema.maxProperties = rule.maxProps;
	return schema;
}

const STRING_FORMATS: Record<string, JsonSchema> = {
	email: { type: "string", format: "email" },
	url: { type: "string", format: "uri" },
	uuid: { type: "string", format: "uuid" },
	date: { type: "string", format: "date-time" },
	objectID: { type: "string", pattern: "^[0-9a-fA-F]{24}$" },
	mac: { type: "string", description: "A MAC address" },
	luhn: { type: "string", description: "A number passing the Luhn checksum" },
	currency: { type: "string", description: "An amount of money" },
};

function typeSchema(rule: Record<string, any>): JsonSchema {
	switch (rule.type) {
		case "string":
			return stringSchema(rule);
		case "number":
			return numberSchema(rule);
		case "boolean":
			return { type: "boolean" };
		case "array":
			return arraySchema(rule);
		case "tuple":
			return { type: "array", ...(Array.isArray(rule.items) ? { prefixItems: rule.items.map(ruleToJsonSchema), minItems: rule.items.length, maxItems: rule.items.length } : {}) };
		case "object":
			return objectSchema(rule);
		case "record":
			return {
				type: "object",
				...(rule.key ? { propertyNames: ruleToJsonSchema(rule.key) } : {}),
				...(rule.value ? { additionalProperties: ruleToJsonSchema(rule.value) } : {}),
			};
		case "enum":
			return { enum: rule.values ?? [] };
		case "equal":
			return { const: rule.value };
		case "multi":
			return { anyOf: (rule.rules ?? []).map(ruleToJsonSchema) };
		default:
			// any, custom, class and rule types this converter does not know accept anything it can describe.
			return { ...(STRING_FORMATS[rule.type] ?? {}) };
	}
}

function isRequired(rule: Record<string, any>): boolean {
	return rule.optional !== true && rule.default === undefined;
}

/** One fastest-validator rule as JSON Schema, with the annotations a rule may carry for the docs. */
export function ruleToJsonSchema(raw: ValidatorRule): JsonSchema {
	const rule = normalize(raw);
	const schema = typeSchema(rule);
	if (rule.nullable === true) {
		if (typeof schema.type === "string") schema.type = [schema.type, "null"];
		else return withAnnotations({ anyOf: [schema, { type: "null" }] }, rule);
	}
	return withAnnotations(schema, rule);
}

function withAnnotations(schema: JsonSchema, rule: Record<string, any>): JsonSchema {
	if (typeof rule.label === "string") schema.title = rule.label;
	if (typeof rule.description === "string") schema.description = rule.description;
	if (rule.default !== undefined) schema.default = rule.default;
	if (rule.example !== undefined) schema.examples = [rule.example];
	if (Array.isArray(rule.examples)) schema.examples = rule.examples;
	return schema;
}

/**
 * An action's whole `params` schema as one object schema. `$$root: true` makes the schema one rule
 * for the whole params object; otherwise each key is a property.
 */
export function paramsToJsonSchema(params: Record<string, unknown>): JsonSchema {
	if (params.$$root === true) {
		const { $$root: _root, ...rule } = params;
		return ruleToJsonSchema(rule);
	}
	return propsToJsonSchema(params as Record<string, ValidatorRule>, params.$$strict);
}
