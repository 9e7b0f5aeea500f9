import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Service } from "moleculer";
import { buildOpenApiDocument } from "../openapi/openapi-document.ts";
import { gatewayOperations, type GatewayAlias } from "../openapi/gateway-operations.ts";

const API_INFO = {
	title: "Document-analysis platform API",
	version: "1",
	description:
		"Upload documents, analyse them with several LLM providers side by side, tune the parameters with the optimizer, " +
		"and get repeated work from cache. Sign in with POST /api/v1/auth/login, then send `Authorization: Bearer <accessToken>` " +
		"(an API key works the same way). Errors are `{ \"error\": { \"type\", \"message\", \"code\" } }`.",
};

interface BuiltDocument {
	json: string;
	etag: string;
}

/**
 * GET /api/openapi.json, generated from what the gateway serves. The document is built on first
 * request and kept until the registry changes: `$services.changed` when a service (on any node)
 * comes or goes, and `$api.aliases.regenerated` when the gateway has rebuilt its routes from it,
 * which happens a debounce later.
 */
export function openApiRoute(gateway: Service) {
	let built: BuiltDocument | undefined;
	const invalidate = () => {
		built = undefined;
	};
	gateway.broker.localBus.on("$services.changed", invalidate);
	gateway.broker.localBus.on("$api.aliases.regenerated", invalidate);

	const build = (): BuiltDocument => {
		const aliases = (gateway as unknown as { aliases: GatewayAlias[] }).aliases;
		const json = JSON.stringify(buildOpenApiDocument(gatewayOperations(gateway.broker, aliases), API_INFO));
		return { json, etag: `"${crypto.createHash("sha256").update(json).digest("base64url").slice(0, 27)}"` };
	};

	return {
		name: "openapi",
		// The whole path, not "/api": routes match by prefix, and "/api" would also claim the console's /api.js.
		path: "/api/openapi.json",
		authentication: false,
		bodyParsers: false,
		mappingPolicy: "restrict",
		logging: false,
		aliases: {
			"GET /"(req: IncomingMessage, res: ServerResponse) {
				built ??= build();
				res.setHeader("Cache-Control", "no-cache");
				res.setHeader("ETag", built.etag);
				res.setHeader("X-Content-Type-Options", "nosniff");
				if (req.headers["if-none-match"] === built.etag) {
					res.statusCode = 304;
					res.end();
					return;
				}
				res.statusCode = 200;
				res.setHeader("Content-Type", "application/json; charset=utf-8");
				res.end(built.json);
			},
		},
	};
}
