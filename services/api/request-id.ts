import type { IncomingMessage } from "node:http";
import type { CallingOptions } from "moleculer";

/** Ids the usual tools make (UUIDs, ULIDs, trace ids, "my-req-456"); anything else is replaced. */
const ACCEPTED_REQUEST_ID = /^[\w.:@\-]{1,128}$/;

/**
 * moleculer-web's rootCallOptions: the client's X-Request-ID (or X-Correlation-ID) becomes the
 * request id only when it is short and plain, since it travels in every packet of the request over
 * NATS, is echoed, and lands in every log line. Otherwise Moleculer generates one, as for a request
 * that sent none.
 */
export function acceptClientRequestId(options: CallingOptions, req: IncomingMessage): void {
	const sent = req.headers["x-correlation-id"] ?? req.headers["x-request-id"];
	options.requestID = typeof sent === "string" && ACCEPTED_REQUEST_ID.test(sent) ? sent : undefined;
}
