import { Errors } from "moleculer";

const { MoleculerClientError, MoleculerError } = Errors;

/**
 * Client errors every service throws. `type` is the stable machine-readable name clients switch on;
 * `code` is the HTTP status the gateway answers with.
 */
export function notFound(what: string): Errors.MoleculerClientError {
	return new MoleculerClientError(`${what} not found`, 404, "NOT_FOUND");
}

export function invalidInput(message: string, details?: unknown): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 422, "VALIDATION_ERROR", details);
}

export function badRequest(message: string, details?: unknown): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 400, "BAD_REQUEST", details);
}

export function unauthorized(message = "Authentication required"): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 401, "UNAUTHORIZED");
}

export function forbidden(message = "Not allowed"): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 403, "FORBIDDEN");
}

export function conflict(message: string): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 409, "CONFLICT");
}

export function payloadTooLarge(message: string): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 413, "PAYLOAD_TOO_LARGE");
}

export function unsupportedMediaType(message: string): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 415, "UNSUPPORTED_MEDIA_TYPE");
}

/** An upload whose sender went silent: 408, and the connection is closed after the answer. */
export function uploadStalled(message: string): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 408, "UPLOAD_STALLED");
}

export function tooManyRequests(message: string, retryAfterSeconds?: number): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 429, "TOO_MANY_REQUESTS", retryAfterSeconds ? { retryAfter: retryAfterSeconds } : undefined);
}

export function paymentRequired(message: string): Errors.MoleculerClientError {
	return new MoleculerClientError(message, 402, "BUDGET_EXCEEDED");
}

/** What a client is told while a service it needs is down or cannot be reached. */
export const SERVICE_UNREACHABLE = "A service needed for this request is not reachable; try again shortly";

export function serviceUnavailable(message: string): Errors.MoleculerError {
	return new MoleculerError(message, 503, "SERVICE_UNAVAILABLE");
}

export interface HttpErrorBody {
	error: { type: string; message: string; code: number; details?: unknown };
}

/** Moleculer's own errors that mean "the service that should answer is not reachable right now". */
const UNAVAILABLE_TYPES = new Set(["SERVICE_NOT_FOUND", "SERVICE_NOT_AVAILABLE", "BROKER_DISCONNECTED", "REQUEST_REJECTED"]);

/** A query's connection died under it: the server stopped or restarted mid-query (57P01), or the link broke. */
const CONNECTION_LOST_DURING_QUERY = /Connection terminated|terminating connection|ECONNRESET|server closed the connection|not queryable|the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)/;

/** Sequelize could not reach the database (down, restarting, refusing connections, or gone mid-query). */
export function isDatabaseUnreachable(err: unknown): boolean {
	const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
	if (typeof name !== "string") return false;
	if (/^Sequelize(Connection\w*|HostNotReachable|HostNotFound)Error$/.test(name)) return true;
	return name === "SequelizeDatabaseError" && typeof message === "string" && CONNECTION_LOST_DURING_QUERY.test(message);
}

/**
 * The one place an error becomes what a client sees: client errors keep their message and details;
 * anything else is a generic message, so no stack trace or internal detail reaches the client.
 */
export function toHttpError(err: unknown): HttpErrorBody {
	const e = err as { code?: unknown; type?: unknown; message?: unknown; data?: unknown; name?: string };
	const type = typeof e?.type === "string" ? e.type : undefined;
	if (type && UNAVAILABLE_TYPES.has(type)) {
		return { error: { type: "SERVICE_UNAVAILABLE", message: SERVICE_UNREACHABLE, code: 503 } };
	}
	if (isDatabaseUnreachable(err)) {
		return { error: { type: "SERVICE_UNAVAILABLE", message: "The database is not reachable right now; try again shortly", code: 503 } };
	}
	if (type === "REQUEST_TIMEOUT") {
		return { error: { type: "TIMEOUT", message: "The request took too long", code: 504 } };
	}
	if (e?.name === "PayloadTooLarge" || type === "PAYLOAD_TOO_LARGE") {
		return { error: { type: "PAYLOAD_TOO_LARGE", message: typeof e.message === "string" && e.name !== "PayloadTooLarge" ? e.message : "Request body too large", code: 413 } };
	}
	const code = typeof e?.code === "number" && e.code >= 400 && e.code < 600 ? e.code : 500;
	if (code >= 500 && code !== 503 && code !== 502 && code !== 504) {
		return { error: { type: "INTERNAL_ERROR", message: "Internal server error", code: 500 } };
	}
	const message = typeof e?.message === "string" && e.message ? e.message : "Request failed";
	const body: HttpErrorBody = { error: { type: type ?? "ERROR", message, code } };
	if (e.data !== undefined && code < 500 && type !== "INVALID_REQUEST_BODY") body.error.details = type === "VALIDATION_ERROR" ? withoutInternals(e.data) : e.data;
	return body;
}

/** Moleculer's validator names the node and the action in each problem: internal, not the client's business. */
function withoutInternals(details: unknown): unknown {
	if (!Array.isArray(details)) return details;
	return details.map(problem => {
		if (typeof problem !== "object" || problem === null) return problem;
		const { nodeID: _nodeID, action: _action, ...rest } = problem as Record<string, unknown>;
		return rest;
	});
}
