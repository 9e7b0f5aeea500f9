import type { IncomingMessage, ServerResponse } from "node:http";
import { toHttpError, type HttpErrorBody } from "../../shared/errors.ts";

/** body-parser and busboy report their own problems with a `status`; name them for the client. */
function fromParserError(err: { status?: number; type?: string; message?: string }): HttpErrorBody | undefined {
	if (typeof err?.status !== "number" || typeof err.type !== "string" || !err.type.startsWith("entity.")) return undefined;
	if (err.status === 413) return { error: { type: "PAYLOAD_TOO_LARGE", message: "Request body too large", code: 413 } };
	if (err.type === "entity.parse.failed") return { error: { type: "INVALID_JSON", message: "The request body is not valid JSON", code: 400 } };
	if (err.status === 415) return { error: { type: "UNSUPPORTED_MEDIA_TYPE", message: err.message ?? "Unsupported body encoding", code: 415 } };
	return { error: { type: "BAD_REQUEST", message: "The request body could not be read", code: 400 } };
}

/** The platform's JSON error answer, `{ error: { type, message, code } }`, for every route. */
export function sendErrorResponse(req: IncomingMessage, res: ServerResponse, err: unknown): void {
	const body = fromParserError(err as never) ?? toHttpError(err);
	const retryAfter = (body.error.details as { retryAfter?: number } | undefined)?.retryAfter;
	if (body.error.type === "RATE_LIMIT_EXCEEDED" || body.error.code === 429) {
		res.setHeader("Retry-After", String(retryAfter ?? 60));
	}
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
