import { AsyncLocalStorage } from "node:async_hooks";
import type { Context, Middleware } from "moleculer";
import type { AuthenticatedUser } from "./contracts/auth.ts";

/** The fields every log line written while serving a request carries (the node id is Moleculer's own binding). */
export interface LogContextFields {
	requestId?: string;
	userId?: string;
}

type RequestContext = Pick<Context<unknown, { user?: AuthenticatedUser | null }>, "requestID" | "meta">;

/** The request being served, while it is. */
interface ServedRequest {
	ctx: RequestContext;
	serving: boolean;
}

/**
 * The context of the action or event being served, for the logger to read. The context itself is
 * kept, not a copy of its fields: the gateway learns the user only after authentication, within
 * the same context, and every line from then on should name them.
 */
const servedRequests = new AsyncLocalStorage<ServedRequest>();

/** The request id and user of whatever this code runs for; none outside a request (timers, startup). */
export function currentLogContext(): LogContextFields {
	const served = servedRequests.getStore();
	if (!served?.serving) return {};
	const { ctx } = served;
	const userId = ctx.meta?.user?.id;
	return userId ? { requestId: ctx.requestID ?? undefined, userId } : { requestId: ctx.requestID ?? undefined };
}

/**
 * Runs `work` as serving `ctx`, until the promise it returns settles. Timers and loops started
 * meanwhile inherit the store (a job queue polled again and again after a request nudged it), so
 * the store says when the request is over: their later lines must not name a request, nor its user.
 */
export function withLogContext<T>(ctx: RequestContext, work: () => T): T {
	const served: ServedRequest = { ctx, serving: true };
	const result = servedRequests.run(served, work);
	if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
		const done = () => {
			served.serving = false;
		};
		(result as PromiseLike<unknown>).then(done, done);
	} else served.serving = false;
	return result;
}

/**
 * Around every local action and event handler: its log lines carry the request id (which Moleculer
 * carries in every packet over NATS, so the remote node's lines carry it too) and the user.
 * A call received from another node is logged at debug, so a request can be followed node by node.
 */
export function logContextMiddleware(): Middleware {
	return {
		name: "LogContext",
		localAction(next: (ctx: Context) => Promise<unknown>, action: { name: string }) {
			return function servedWithLogContext(this: unknown, ctx: Context) {
				return withLogContext(ctx, () => {
					if (ctx.nodeID && ctx.nodeID !== ctx.broker.nodeID) ctx.broker.logger.debug({ action: action.name, callerNodeID: ctx.nodeID }, `Serving '${action.name}' for node ${ctx.nodeID}`);
					return next.call(this, ctx);
				});
			};
		},
		localEvent(next: (ctx: Context) => Promise<unknown>) {
			return function handledWithLogContext(this: unknown, ctx: Context) {
				return withLogContext(ctx, () => next.call(this, ctx));
			};
		},
	} as Middleware;
}
