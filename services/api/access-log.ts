import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Service } from "moleculer";
import { describeError } from "./http-errors.ts";
import type { AuthenticatedUser } from "../../shared/contracts/auth.ts";

type GatewayRequest = IncomingMessage & {
	$ctx?: Pick<Context<unknown, { user?: AuthenticatedUser | null }>, "requestID" | "meta">;
	$endpoint?: { action?: { name?: string } };
	$route?: { logging?: boolean };
	originalUrl?: string;
};

/** The error a request failed with, kept by the gateway's errorHandler for the access-log line. */
const failures = new WeakMap<ServerResponse, unknown>();

export function rememberFailure(res: ServerResponse, err: unknown): void {
	failures.set(res, err);
}

/**
 * How loud a finished request is: a client's mistake and an expected refusal (an open circuit, an
 * overloaded or unreachable dependency: 502/503/504) are warnings the operator need not chase, so
 * no stack; only an unexpected failure (500) is an error, with its stack as `err`.
 */
export function accessLogLevel(status: number): "info" | "warn" | "error" {
	if (status >= 500 && status !== 502 && status !== 503 && status !== 504) return "error";
	return status >= 400 ? "warn" : "info";
}

/**
 * One line per HTTP request, when its answer is finished or the connection closes: method, path
 * (no query string, which may hold a secret), status, ms, bytes sent, request id and user. Written
 * outside any action, so it names the request and user itself, from the gateway's context.
 */
export function logAccess(logger: Service["logger"], req: GatewayRequest, res: ServerResponse): void {
	const started = process.hrtime.bigint();
	const bytesBefore = req.socket?.bytesWritten ?? 0;
	// One listener more than the leak warning expects (moleculer-web, the upload gate and the relays add theirs).
	res.setMaxListeners(res.getMaxListeners() + 1);
	res.once("close", () => {
		const url = req.originalUrl ?? req.url ?? "";
		const query = url.indexOf("?");
		const path = query === -1 ? url : url.slice(0, query);
		const status = res.statusCode;
		// Routes that ask for no logging (probes, metrics scrapes, static files) still show their failures.
		if (req.$route?.logging === false && status < 400) return;
		const level = accessLogLevel(status);
		const line: Record<string, unknown> = {
			access: true,
			method: req.method,
			path,
			status,
			ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
			bytes: Math.max(0, (req.socket?.bytesWritten ?? bytesBefore) - bytesBefore),
			requestId: req.$ctx?.requestID ?? (res.getHeader("X-Request-ID") as string | undefined),
		};
		const userId = req.$ctx?.meta?.user?.id;
		if (userId) line.userId = userId;
		const action = req.$endpoint?.action?.name;
		if (action) line.action = action;
		if (!res.writableFinished) line.aborted = true;
		const err = failures.get(res);
		if (err !== undefined) {
			if (level === "error") line.err = err instanceof Error ? err : new Error(String(err));
			else line.error = { type: describeError(err).error.type, message: (err as Error)?.message };
		}
		logger[level](line, `${req.method} ${path} ${status} ${line.ms as number} ms`);
	});
}
