import type { IncomingMessage, ServerResponse } from "node:http";
import { toHttpError, type HttpErrorBody } from "../../shared/errors.ts";

/** body-parser and busboy report their own problems with a `status`; name them for the client. */
function fromParserError(err: { status?: number; code?: number; type?: string; message?: string }): HttpErrorBody | undefined {
	// moleculer-web passes body-parser's error on with its status as `code`.
	const status = err?.status ?? err?.code;
	if (typeof status !== "number" || typeof err.type !== "string" || !err.type.startsWith("entity.")) return undefined;
	if (status === 413) return { error: { type: "PAYLOAD_TOO_LARGE", message: "Request body too large", code: 413 } };
	if (err.type === "entity.parse.failed") return { error: { type: "INVALID_JSON", message: "The request body is not valid JSON", code: 400 } };
	if (status === 415) return { error: { type: "UNSUPPORTED_MEDIA_TYPE", message: err.message ?? "Unsupported body encoding", code: 415 } };
	return { error: { type: "BAD_REQUEST", message: "The request body could not be read", code: 400 } };
}

/**
 * Seconds until a throttled client may try again: the action's own figure, else the rate-limit
 * window's reset time moleculer-web put in X-Rate-Limit-Reset, else a minute.
 */
export function retryAfterSeconds(res: ServerResponse, body: HttpErrorBody): number {
	const explicit = (body.error.details as { retryAfter?: number } | undefined)?.retryAfter;
	if (typeof explicit === "number" && explicit > 0) return Math.ceil(explicit);
	const reset = Number(res.getHeader("X-Rate-Limit-Reset"));
	if (Number.isFinite(reset) && reset > Date.now()) return Math.ceil((reset - Date.now()) / 1000);
	return 60;
}

/** busboy's own words when an upload route gets something other than multipart/form-data. */
const NOT_MULTIPART = new Set(["Missing Content-Type-header.", "Unsupported Content-Type.", "Multipart: Boundary not found"]);

function fromMultipartError(err: { message?: unknown }): HttpErrorBody | undefined {
	if (typeof err?.message !== "string" || !NOT_MULTIPART.has(err.message)) return undefined;
	return { error: { type: "UNSUPPORTED_MEDIA_TYPE", message: "Send the upload as multipart/form-data with the file in the field `file`", code: 415 } };
}

/** moleculer-web's own per-address limit says only "Rate limit exceeded", with no type. */
function fromGatewayRateLimit(err: { name?: unknown; code?: unknown; type?: unknown }): HttpErrorBody | undefined {
	if (err?.name !== "RateLimitExceeded" || err.code !== 429) return undefined;
	return { error: { type: "TOO_MANY_REQUESTS", message: "Too many requests from this address; try again after the time in Retry-After", code: 429 } };
}

/** What a client is told about any error, parser errors included. */
export function describeError(err: unknown): HttpErrorBody {
	return fromParserError(err as never) ?? fromMultipartError(err as never) ?? fromGatewayRateLimit(err as never) ?? toHttpError(err);
}

/** The platform's JSON error answer, `{ error: { type, message, code } }`, for every route. */
export function sendErrorResponse(req: IncomingMessage, res: ServerResponse, err: unknown): void {
	const body = describeError(err);
	if (body.error.code === 429) res.setHeader("Retry-After", String(retryAfterSeconds(res, body)));
	if (res.headersSent) {
		res.end();
		return;
	}
	void req;
	res.statusCode = body.error.code;
	res.setHeader("Content-Type", "application/json; charset=utf-8");
	res.setHeader("X-Content-Type-Options", "nosniff");
	res.end(JSON.stringify(body));
}
