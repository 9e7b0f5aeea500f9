import type { ActionOpenApi, GatewayOperation, ResponseDoc } from "./action-docs.ts";
import { paramsToJsonSchema, type JsonSchema } from "./params-to-json-schema.ts";

export interface OpenApiInfo {
	title: string;
	version: string;
	description?: string;
}

export type OpenApiDocument = Record<string, any>;

const BODY_METHODS = new Set(["post", "put", "patch"]);

/** Error answers every route may give, by the shape its route uses. */
const ERROR_RESPONSES: Record<string, { status: string; description: string; type: string; message: string }> = {
	BadRequest: { status: "400", description: "The request could not be read (malformed JSON, bad encoding)", type: "INVALID_JSON", message: "The request body is not valid JSON" },
	Unauthorized: { status: "401", description: "No valid access token or API key", type: "UNAUTHORIZED", message: "Authentication required" },
	Forbidden: { status: "403", description: "Signed in, but the role does not allow this", type: "FORBIDDEN", message: "Your role does not allow this" },
	NotFound: { status: "404", description: "No such resource, or it belongs to someone else", type: "NOT_FOUND", message: "Not found" },
	PayloadTooLarge: { status: "413", description: "The body or upload is larger than allowed", type: "PAYLOAD_TOO_LARGE", message: "Request body too large" },
	ValidationFailed: { status: "422", description: "A parameter is missing or invalid; `details` lists each problem", type: "VALIDATION_ERROR", message: "Parameters validation error!" },
	TooManyRequests: { status: "429", description: "Rate limited; retry after the `Retry-After` header's seconds", type: "RATE_LIMIT_EXCEEDED", message: "Rate limit exceeded" },
	ServerError: { status: "5XX", description: "The server or a service it needs failed; the message never carries internals", type: "INTERNAL_ERROR", message: "Internal server error" },
};

/** The platform's error body, and OpenAI's for the OpenAI-compatible route. */
const ERROR_SCHEMAS: Record<string, JsonSchema> = {
	Error: {
		type: "object",
		required: ["error"],
		properties: {
			error: {
				type: "object",
				required: ["type", "message", "code"],
				properties: {
					type: { type: "string", description: "Stable machine-readable name, e.g. NOT_FOUND, VALIDATION_ERROR", examples: ["NOT_FOUND"] },
					message: { type: "string", description: "Human-readable explanation", examples: ["Document not found"] },
					code: { type: "integer", description: "The HTTP status", examples: [404] },
					details: { description: "Extra facts for client errors, e.g. the failed validation rules" },
				},
			},
		},
	},
	OpenAiError: {
		type: "object",
		required: ["error"],
		properties: {
			error: {
				type: "object",
				properties: {
					message: { type: "string" },
					type: { type: "string", examples: ["invalid_request_error"] },
					param: { type: ["string", "null"] },
					code: { type: ["string", "null"] },
				},
			},
		},
	},
};

/** Routes whose errors follow another shape than the platform's. */
const ROUTE_ERROR_SCHEMA: Record<string, string> = { "openai-compatible": "OpenAiError" };

/** `/documents/:id` (path-to-regexp) becomes `/documents/{id}` (OpenAPI), listing the names. */
export function toOpenApiPath(path: string): { path: string; names: string[] } {
	const names: string[] = [];
	const converted = path.replace(/[:*]([A-Za-z_$][\w$]*)/g, (_match, name: string) => {
		names.push(name);
		return `{${name}}`;
	});
	return { path: converted, names };
}

function serviceOf(actionName: string): string {
	const dot = actionName.lastIndexOf(".");
	return dot > 0 ? actionName.slice(0, dot) : actionName;
}

function errorResponseRefs(op: GatewayOperation, docs: ActionOpenApi, pathParams: string[], bodyOrQuery: boolean): Record<string, unknown> {
	const refs: string[] = [];
	const isPublic = !op.authenticated || op.action?.auth === "public";
	if (op.action) {
		if (BODY_METHODS.has(op.method.toLowerCase()) && op.kind === "call") refs.push("BadRequest");
		if (!isPublic) refs.push("Unauthorized");
		if (op.action.roles?.length) refs.push("Forbidden");
		if (pathParams.length > 0) refs.push("NotFound");
		if (op.kind !== "call") refs.push("PayloadTooLarge");
		if (bodyOrQuery || pathParams.length > 0) refs.push("ValidationFailed");
		if (op.rateLimited) refs.push("TooManyRequests");
		refs.push("ServerError");
	}
	const prefix = ROUTE_ERROR_SCHEMA[op.routeName ?? ""] ?? "";
	const responses: Record<string, unknown> = {};
	for (const name of refs) {
		const status = ERROR_RESPONSES[name].status;
		if (!docs.responses?.[status]) responses[status] = { $ref: `#/components/responses/${prefix}${name}` };
	}
	return responses;
}

function responseObject(status: string, doc: ResponseDoc): Record<string, unknown> {
	const description = doc.description ?? (status === "204" ? "No content" : "Success");
	// Nothing known about the body: say so by describing none, rather than an empty JSON one.
	if (!doc.schema && doc.example === undefined) return { description };
	const media: Record<string, unknown> = {};
	if (doc.schema) media.schema = doc.schema;
	if (doc.example !== undefined) media.example = doc.example;
	return { description, content: { [doc.contentType ?? "application/json"]: media } };
}

function requestBody(op: GatewayOperation, docs: ActionOpenApi, bodySchema: JsonSchema): Record<string, unknown> | undefined {
	if (op.kind === "multipart") {
		const fileField = docs.multipart?.fileField ?? "file";
		const fields: Record<string, JsonSchema> = { ...((bodySchema.properties as Record<string, JsonSchema>) ?? {}) };
		for (const [name, field] of Object.entries(docs.multipart?.fields ?? {})) fields[name] = { type: field.type ?? "string", ...(field.description ? { description: field.description } : {}) };
		return {
			required: true,
			content: {
				"multipart/form-data": {
					schema: { type: "object", required: [fileField], properties: { [fileField]: { type: "string", format: "binary" }, ...fields } },
				},
			},
		};
	}
	if (op.kind === "stream") {
		return { required: true, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } };
	}
	const hasRequired = Array.isArray(bodySchema.required) && bodySchema.required.length > 0;
	const media: Record<string, unknown> = { schema: bodySchema };
	if (docs.requestExample !== undefined) media.example = docs.requestExample;
	return { required: hasRequired, content: { "application/json": media } };
}

/** Splits the params schema into path parameters, query parameters and the JSON body. */
function parameters(op: GatewayOperation, method: string, pathParams: string[]) {
	const schema = op.action?.params ? paramsToJsonSchema(op.action.params) : { type: "object", properties: {} };
	const properties = (schema.properties as Record<string, JsonSchema>) ?? {};
	const required = new Set((schema.required as string[]) ?? []);
	const list: Record<string, unknown>[] = pathParams.map(name => ({ name, in: "path", required: true, schema: properties[name] ?? { type: "string" } }));
	const rest = Object.keys(properties).filter(name => !pathParams.includes(name));
	const inBody = BODY_METHODS.has(method) || op.kind !== "call";
	if (!inBody) {
		for (const name of rest) {
			const { description, ...propertySchema } = properties[name];
			list.push({ name, in: "query", required: required.has(name), schema: propertySchema, ...(description ? { description } : {}) });
		}
	}
	const body: JsonSchema = { ...schema, properties: Object.fromEntries(rest.map(name => [name, properties[name]])) };
	const bodyRequired = [...required].filter(name => rest.includes(name));
	if (bodyRequired.length > 0) body.required = bodyRequired;
	else delete body.required;
	return { list, body: inBody ? body : undefined, hasInput: rest.length > 0 };
}

function operationObject(op: GatewayOperation, method: string, pathParams: string[]): Record<string, unknown> {
	const action = op.action;
	const docs: ActionOpenApi = action?.openapi ?? op.builtIn ?? {};
	const { list, body, hasInput } = parameters(op, method, pathParams);
	const operation: Record<string, unknown> = {
		tags: docs.tags ?? [action ? serviceOf(action.name) : "gateway"],
		summary: docs.summary ?? action?.description?.split("\n")[0] ?? action?.name,
	};
	const description = [docs.description ?? action?.description, action?.roles?.length ? `Requires the role: ${action.roles.join(" or ")}.` : undefined]
		.filter(Boolean)
		.join("\n\n");
	if (description) operation.description = description;
	if (action) operation["x-moleculer-action"] = action.name;
	if (docs.deprecated) operation.deprecated = true;
	if (!op.authenticated || action?.auth === "public") operation.security = [];
	if (list.length > 0) operation.parameters = list;
	if (body) operation.requestBody = requestBody(op, docs, body);

	const success = Object.entries(docs.responses ?? {}).filter(([status]) => /^[23]/.test(status));
	const responses: Record<string, unknown> = {};
	for (const [status, doc] of success.length > 0 ? success : [["200", { description: "Success" }] as const]) responses[status] = responseObject(status, doc);
	for (const [status, doc] of Object.entries(docs.responses ?? {})) if (!/^[23]/.test(status)) responses[status] = responseObject(status, doc);
	Object.assign(responses, errorResponseRefs(op, docs, pathParams, hasInput || body !== undefined));
	operation.responses = responses;
	return operation;
}

/** One action whose params the converter cannot read must not take the whole document down. */
function describedOperation(op: GatewayOperation, method: string, pathParams: string[]): Record<string, unknown> {
	try {
		return operationObject(op, method, pathParams);
	} catch {
		const plain = operationObject({ ...op, action: op.action && { ...op.action, params: undefined } }, method, pathParams);
		plain.description = [plain.description, "Its parameters could not be described."].filter(Boolean).join("\n\n");
		return plain;
	}
}

function components(): Record<string, unknown> {
	const responses: Record<string, unknown> = {};
	for (const [name, { status, description, type, message }] of Object.entries(ERROR_RESPONSES)) {
		const code = status === "5XX" ? 500 : Number(status);
		responses[name] = { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" }, example: { error: { type, message, code } } } } };
		responses[`OpenAiError${name}`] = { description, content: { "application/json": { schema: { $ref: "#/components/schemas/OpenAiError" } } } };
	}
	return {
		securitySchemes: {
			bearerAuth: {
				type: "http",
				scheme: "bearer",
				description: "An access token from /api/v1/auth/login or /register, or an API key from /api/v1/auth/api-keys",
			},
		},
		schemas: ERROR_SCHEMAS,
		responses,
	};
}

/**
 * The OpenAPI 3.1 description of what the gateway serves: one operation per route alias, its inputs
 * from the action's fastest-validator `params`, its texts and examples from the action's `openapi`.
 */
export function buildOpenApiDocument(operations: GatewayOperation[], info: OpenApiInfo): OpenApiDocument {
	const paths: Record<string, Record<string, unknown>> = {};
	const operationIds = new Set<string>();
	const sorted = [...operations].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
	for (const op of sorted) {
		const { path, names } = toOpenApiPath(op.path);
		const methods = op.method === "*" ? ["get", "post"] : [op.method.toLowerCase()];
		for (const method of methods) {
			const operation = describedOperation(op, method, names);
			const baseId = op.action?.name ?? `${method}${path.replace(/[^A-Za-z0-9]+/g, "_")}`;
			let operationId = baseId;
			for (let n = 2; operationIds.has(operationId); n++) operationId = `${baseId}_${method}${n > 2 ? n : ""}`;
			operationIds.add(operationId);
			operation.operationId = operationId;
			paths[path] ??= {};
			paths[path][method] = operation;
		}
	}
	const tags = [...new Set(Object.values(paths).flatMap(ops => Object.values(ops).flatMap(op => (op as { tags: string[] }).tags)))].sort();
	return {
		openapi: "3.1.0",
		info,
		servers: [{ url: "/" }],
		security: [{ bearerAuth: [] }],
		tags: tags.map(name => ({ name })),
		paths,
		components: components(),
	};
}
