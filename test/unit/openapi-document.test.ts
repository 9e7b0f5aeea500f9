import { expect } from "chai";
import { Validator } from "@seriousme/openapi-schema-validator";
import { buildOpenApiDocument, toOpenApiPath } from "../../services/api/openapi/openapi-document.ts";
import type { GatewayOperation } from "../../services/api/openapi/action-docs.ts";

const INFO = { title: "Test API", version: "1" };

function op(partial: Partial<GatewayOperation> & Pick<GatewayOperation, "method" | "path">): GatewayOperation {
	return { kind: "call", routeName: "rest-api", authenticated: true, rateLimited: true, ...partial };
}

const OPERATIONS: GatewayOperation[] = [
	op({
		method: "POST",
		path: "/api/v1/auth/register",
		action: {
			name: "auth.register",
			auth: "public",
			params: { email: "email", password: "string|min:12", name: { type: "string", optional: true } },
			openapi: {
				summary: "Create an account",
				requestExample: { email: "ada@example.com", password: "correct horse battery" },
				responses: {
					"201": { description: "Signed up", example: { accessToken: "eyJ...", expiresIn: 900 } },
					"409": { description: "The email is taken" },
				},
			},
		},
	}),
	op({ method: "GET", path: "/api/v1/documents", action: { name: "documents.list", params: { limit: "number|optional|convert:true", offset: { type: "number", optional: true, description: "Skip this many" } } } }),
	op({ method: "GET", path: "/api/v1/documents/:id", action: { name: "documents.get", params: { id: "uuid" } } }),
	op({ method: "DELETE", path: "/api/v1/documents/:id", action: { name: "documents.remove", params: { id: "string" }, openapi: { responses: { "204": {} } } } }),
	op({ method: "POST", path: "/api/v1/documents", kind: "multipart", action: { name: "documents.upload", openapi: { multipart: { fields: { analyze: { type: "boolean", description: "Analyse at once" } } } } } }),
	op({ method: "GET", path: "/api/v1/auth/users", action: { name: "auth.listUsers", roles: ["admin"] } }),
	op({ method: "POST", path: "/v1/chat/completions", routeName: "openai-compatible", action: { name: "openai.chatCompletions", params: { model: "string", messages: "array" } } }),
	op({ method: "GET", path: "/health/live", routeName: "health", authenticated: false, rateLimited: false, builtIn: { tags: ["operations"], summary: "Alive" } }),
	// One action reachable by two routes must still get unique operation ids.
	op({ method: "GET", path: "/api/v1/llm/models", action: { name: "llm.models" } }),
	op({ method: "GET", path: "/api/v1/models", action: { name: "llm.models" } }),
	op({ method: "*", path: "/api/v1/llm/echo", action: { name: "llm.echo", params: { text: "string" } } }),
];

describe("OpenAPI: the document built from the gateway's routes", () => {
	const doc = buildOpenApiDocument(OPERATIONS, INFO);

	it("is a valid OpenAPI 3.1 document", async () => {
		const result = await new Validator().validate(structuredClone(doc));
		expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).to.deep.equal([]);
		expect(result.valid).to.equal(true);
		expect(doc.openapi).to.equal("3.1.0");
	});

	it("converts path parameters and documents them as required", () => {
		expect(toOpenApiPath("/api/v1/documents/:id/analyses/:analysisId")).to.deep.equal({ path: "/api/v1/documents/{id}/analyses/{analysisId}", names: ["id", "analysisId"] });
		const get = doc.paths["/api/v1/documents/{id}"].get;
		expect(get.parameters).to.deep.equal([{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }]);
		expect(get.responses["404"]).to.deep.equal({ $ref: "#/components/responses/NotFound" });
	});

	it("sends GET params in the query and POST params as the JSON body", () => {
		const list = doc.paths["/api/v1/documents"].get;
		expect(list.parameters).to.deep.equal([
			{ name: "limit", in: "query", required: false, schema: { type: "number" } },
			{ name: "offset", in: "query", required: false, schema: { type: "number" }, description: "Skip this many" },
		]);
		expect(list).to.not.have.property("requestBody");
		const register = doc.paths["/api/v1/auth/register"].post;
		expect(register.requestBody.required).to.equal(true);
		expect(register.requestBody.content["application/json"].schema.required).to.deep.equal(["email", "password"]);
		expect(register.requestBody.content["application/json"].example).to.deep.equal({ email: "ada@example.com", password: "correct horse battery" });
	});

	it("describes uploads as multipart with the file field", () => {
		const upload = doc.paths["/api/v1/documents"].post;
		const schema = upload.requestBody.content["multipart/form-data"].schema;
		expect(schema.required).to.deep.equal(["file"]);
		expect(schema.properties.file).to.deep.equal({ type: "string", format: "binary" });
		expect(schema.properties.analyze).to.deep.equal({ type: "boolean", description: "Analyse at once" });
		expect(upload.responses["413"]).to.deep.equal({ $ref: "#/components/responses/PayloadTooLarge" });
	});

	it("uses Bearer auth everywhere but public operations, and names the roles", () => {
		expect(doc.components.securitySchemes.bearerAuth).to.include({ type: "http", scheme: "bearer" });
		expect(doc.security).to.deep.equal([{ bearerAuth: [] }]);
		expect(doc.paths["/api/v1/auth/register"].post.security).to.deep.equal([]);
		expect(doc.paths["/health/live"].get.security).to.deep.equal([]);
		expect(doc.paths["/api/v1/documents"].get).to.not.have.property("security");
		expect(doc.paths["/api/v1/documents"].get.responses["401"]).to.deep.equal({ $ref: "#/components/responses/Unauthorized" });
		expect(doc.paths["/api/v1/auth/register"].post.responses).to.not.have.property("401");
		const admin = doc.paths["/api/v1/auth/users"].get;
		expect(admin.description).to.match(/Requires the role: admin/);
		expect(admin.responses["403"]).to.deep.equal({ $ref: "#/components/responses/Forbidden" });
	});

	it("uses the action's own responses and examples, replacing the default 200", () => {
		const register = doc.paths["/api/v1/auth/register"].post;
		expect(register.summary).to.equal("Create an account");
		expect(register.responses).to.not.have.property("200");
		expect(register.responses["201"]).to.deep.equal({ description: "Signed up", content: { "application/json": { example: { accessToken: "eyJ...", expiresIn: 900 } } } });
		expect(register.responses["409"].description).to.equal("The email is taken");
		expect(doc.paths["/api/v1/documents/{id}"].delete.responses["204"]).to.deep.equal({ description: "No content" });
	});

	it("documents the error shape, and OpenAI's for the OpenAI-compatible route", () => {
		expect(doc.components.schemas.Error.properties.error.required).to.deep.equal(["type", "message", "code"]);
		const chat = doc.paths["/v1/chat/completions"].post;
		expect(chat.responses["401"]).to.deep.equal({ $ref: "#/components/responses/OpenAiErrorUnauthorized" });
		expect(doc.components.responses.OpenAiErrorUnauthorized.content["application/json"].schema).to.deep.equal({ $ref: "#/components/schemas/OpenAiError" });
		expect(doc.paths["/api/v1/documents"].get.responses["5XX"]).to.deep.equal({ $ref: "#/components/responses/ServerError" });
		expect(doc.components.responses.Unauthorized.content["application/json"].example).to.deep.equal({ error: { type: "UNAUTHORIZED", message: "Authentication required", code: 401 } });
		expect(doc.components.responses.ServerError.content["application/json"].example.error.code).to.equal(500);
	});

	it("describes no body for an answer the action says nothing about", () => {
		expect(doc.paths["/api/v1/documents"].get.responses["200"]).to.deep.equal({ description: "Success" });
	});

	it("gives every operation a unique id and tags it by service", () => {
		const operations = Object.values(doc.paths).flatMap(methods => Object.values(methods as Record<string, { operationId: string; tags: string[] }>));
		const ids = operations.map(o => o.operationId);
		expect(new Set(ids).size).to.equal(ids.length);
		expect(ids).to.include.members(["llm.models", "llm.models_get"]);
		expect(doc.paths["/api/v1/documents"].get.tags).to.deep.equal(["documents"]);
		expect(doc.tags.map((t: { name: string }) => t.name)).to.deep.equal(["auth", "documents", "llm", "openai", "operations"]);
	});

	it("documents an any-method route as GET (query) and POST (body)", () => {
		const echo = doc.paths["/api/v1/llm/echo"];
		expect(echo.get.parameters).to.deep.equal([{ name: "text", in: "query", required: true, schema: { type: "string" } }]);
		expect(echo.post.requestBody.content["application/json"].schema.required).to.deep.equal(["text"]);
	});
});
