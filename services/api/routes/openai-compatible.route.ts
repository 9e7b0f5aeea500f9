import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Service } from "moleculer";
import { describeError, retryAfterSeconds } from "../http-errors.ts";
import { outageForMissingRoute } from "../route-availability.ts";
import { guardParams } from "../param-guards.ts";
import { clientIp } from "../client-ip.ts";
import { API_RATE_LIMIT } from "./rest-api.route.ts";

/** OpenAI's own error types, so OpenAI client libraries raise their usual exception classes. */
function openAiErrorType(status: number): string {
	if (status === 401) return "authentication_error";
	if (status === 403) return "permission_error";
	if (status === 404) return "not_found_error";
	if (status === 429) return "rate_limit_exceeded";
	if (status === 402) return "insufficient_quota";
	if (status >= 500) return "api_error";
	return "invalid_request_error";
}

/**
 * /v1: the OpenAI-compatible endpoint (actions of the `openai` service), so any OpenAI client
 * library can use the platform. Errors use OpenAI's shape, not the platform's.
 */
export function openAiCompatibleRoute() {
	return {
		name: "openai-compatible",
		path: "/v1",
		whitelist: ["openai.*"],
		autoAliases: true,
		mappingPolicy: "restrict",
		authentication: true,
		authorization: true,
		bodyParsers: { json: { strict: true, limit: "4mb" }, urlencoded: false },
		callOptions: { timeout: 120_000 },
		rateLimit: { ...API_RATE_LIMIT, name: "openai-compatible" },
		onBeforeCall(ctx: Context<unknown, Record<string, unknown>>, _route: unknown, req: IncomingMessage & { $params?: unknown }) {
			guardParams(req.$params);
			ctx.meta.ip = clientIp(req);
			ctx.meta.userAgent = req.headers["user-agent"] ?? null;
		},
		onError(this: Service, req: IncomingMessage, res: ServerResponse, err: unknown) {
			// The gateway's 404 for a path of the `openai` service while no node runs it: an outage, as on /api/v1.
			const body = describeError(outageForMissingRoute(this, req, err));
			const { error } = body;
			if (res.headersSent) {
				res.end();
				return;
			}
			if (error.code === 429) res.setHeader("Retry-After", String(retryAfterSeconds(res, body)));
			res.statusCode = error.code;
			res.setHeader("Content-Type", "application/json; charset=utf-8");
			// OpenAI names the offending parameter in `param` and says what is wrong in `message`; its clients show only those.
			const problem = Array.isArray(error.details) ? (error.details[0] as { field?: unknown; message?: unknown } | undefined) : undefined;
			const param = typeof problem?.field === "string" ? problem.field : null;
			const message = param && typeof problem?.message === "string" ? problem.message : error.message;
			res.end(JSON.stringify({ error: { message, type: openAiErrorType(error.code), param, code: error.type.toLowerCase() } }));
		},
	};
}
