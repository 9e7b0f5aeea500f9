import type { ActionSchema, Context, Middleware, ServiceBroker } from "moleculer";

declare module "moleculer" {
	interface ActionSchema {
		/**
		 * Whether calling the action twice does no harm, so a call whose node died may be sent to
		 * another one. Unset, an action is idempotent when its REST route is a GET or HEAD (a read).
		 */
		idempotent?: boolean;
	}
}

/** Errors that say the node chosen for a call is gone: it died with the call (REQUEST_REJECTED) or was not reachable. */
const NODE_FAILURES = new Set(["REQUEST_REJECTED", "SERVICE_NOT_AVAILABLE"]);
/** One node dying is the case; two more tries cover a second one dying meanwhile. */
const MAX_FAILOVERS = 2;

type RestOption = string | { method?: string } | (string | { method?: string })[] | undefined;

function restMethods(rest: RestOption): string[] {
	if (rest === undefined) return [];
	if (Array.isArray(rest)) return rest.flatMap(restMethods);
	if (typeof rest === "string") return [rest.trim().split(/\s+/)[0].toUpperCase()];
	return rest.method ? [rest.method.toUpperCase()] : [];
}

/** Whether a call of `action` may be repeated on another node: its own word, or a read by its REST route. */
export function isIdempotent(action: Pick<ActionSchema, "idempotent" | "rest">): boolean {
	if (typeof action.idempotent === "boolean") return action.idempotent;
	const methods = restMethods(action.rest as RestOption);
	return methods.length > 0 && methods.every(method => method === "GET" || method === "HEAD");
}

type FailoverContext = Context & { _failovers?: number };

/**
 * Fails over idempotent calls: a call to a remote action that is safe to repeat, whose node died
 * with it or could not be reached, goes to another node offering the action. Everything else fails
 * as before (503): repeating an upload or a paid LLM call could do it twice. Moleculer's own
 * retryPolicy is off: it would retry every action, on any retryable error, with the same delays.
 */
export function safeRetryMiddleware(): Middleware {
	let broker: ServiceBroker;
	const otherNodeOffers = (actionName: string, failedNodeID: string) =>
		(broker.registry.getActionEndpoints(actionName)?.endpoints ?? []).some((endpoint: { id: string; state: boolean; node: { available: boolean } }) => endpoint.id !== failedNodeID && endpoint.state && endpoint.node.available);
	return {
		name: "SafeRetry",
		created(b: ServiceBroker) {
			broker = b;
		},
		remoteAction(next: (ctx: Context) => Promise<unknown>, action: ActionSchema & { name: string }) {
			if (!isIdempotent(action)) return next;
			return async (ctx: FailoverContext) => {
				try {
					return await next(ctx);
				} catch (err) {
					const failovers = ctx._failovers ?? 0;
					const type = (err as { type?: string })?.type;
					if (!type || !NODE_FAILURES.has(type) || failovers >= MAX_FAILOVERS || !otherNodeOffers(action.name, ctx.nodeID!)) throw err;
					broker.logger.info(`Call of '${action.name}' failed on node '${ctx.nodeID}' (${type}): sent to another node`);
					const retry = ctx.copy() as FailoverContext;
					retry._failovers = failovers + 1;
					return broker.call(action.name, ctx.params, { ctx: retry });
				}
			};
		},
	} as unknown as Middleware;
}
