import net from "node:net";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { sendErrorResponse } from "./http-errors.ts";
import { serviceUnavailable } from "../../shared/errors.ts";

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/**
 * The gateway's side of a graceful stop: no new connection, no new work beyond one last request per
 * open connection, every request already taken answered.
 */
export class HttpDrain {
	readonly #server: Server;
	/** Requests taken and not yet answered. */
	readonly #open = new Map<ServerResponse, IncomingMessage>();
	#draining = false;

	constructor(server: Server) {
		this.#server = server;
		server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
			// A keep-alive client's request that arrives during the drain is served, then its connection closed.
			if (this.#draining) res.setHeader("Connection", "close");
			this.#open.set(res, req);
			res.once("close", () => this.#open.delete(res));
		});
	}

	/**
	 * Stops listening at once, lets requests in flight finish until half of the time left to
	 * `deadline`, then answers what is still running 503 (the client may retry elsewhere) and closes
	 * every connection.
	 */
	async drain(deadline: number): Promise<void> {
		this.#draining = true;
		// net.Server's close, not http.Server's: that one also drops idle keep-alive connections at once,
		// and a client that sent a request on one in that instant loses it unanswered. Left open for the
		// drain, each carries at most one more request, answered with `Connection: close`.
		if (this.#server.listening) net.Server.prototype.close.call(this.#server);
		for (const res of this.#open.keys()) if (!res.headersSent) res.setHeader("Connection", "close");
		const drainedBy = Date.now() + Math.max(0, (deadline - Date.now()) / 2);
		while (this.#open.size > 0 && Date.now() < drainedBy) await sleep(20);
		for (const [res, req] of this.#open) {
			// The handler may still write to it later; its error then has nowhere to go but here.
			res.on("error", () => {});
			if (res.headersSent) {
				res.destroy();
				continue;
			}
			res.setHeader("Retry-After", "1");
			sendErrorResponse(req, res, serviceUnavailable("This node is shutting down; try again"));
		}
		this.#server.closeIdleConnections();
		// Connections whose answer is still being written close once it is out (Connection: close).
	}
}
