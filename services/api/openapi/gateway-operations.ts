import type { ServiceBroker } from "moleculer";
import type { ActionOpenApi, DocumentedAction, GatewayOperation } from "./action-docs.ts";

/** What the docs read of a moleculer-web alias (src/alias.js) and its route. */
export interface GatewayAlias {
	method: string;
	fullPath: string;
	action: string | null;
	type: string;
	route: { opts: { name?: string; authentication?: boolean; rateLimit?: unknown } };
}

/** Routes the gateway answers with its own functions; they have no action to describe them. */
const BUILT_IN_ENDPOINTS: Record<string, ActionOpenApi> = {
	"GET /health/live": {
		tags: ["operations"],
		summary: "The process answers",
		responses: { "200": { description: "Alive", example: { status: "ok", uptimeSeconds: 42 } } },
	},
	"GET /health/ready": {
		tags: ["operations"],
		summary: "Every service answers, its database is usable and its routes are served",
		responses: {
			"200": { description: "Ready", example: { status: "ready", checks: { auth: "ok", documents: "ok", llm: "ok", optimizer: "ok", routes: "ok" }, rssMb: 97 } },
			"503": { description: "Not ready; `checks` names what is missing", example: { status: "not ready", checks: { auth: "ok", optimizer: "not running", routes: "rebuilding" }, rssMb: 97 } },
		},
	},
	"GET /health/gateway": {
		tags: ["operations"],
		summary: "The gateway serves; the other services are reported, never failed on (a split deploy's health check)",
		responses: { "200": { description: "Serving; `status` is degraded while a service is missing", example: { status: "degraded", checks: { transporter: "ok", auth: "ok", llm: "not running" } } } },
	},
	"GET /metrics": {
		tags: ["operations"],
		summary: "Prometheus metrics",
		description: "Needs `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN configured the path does not exist (404).",
		responses: {
			"200": { description: "Prometheus text exposition format", contentType: "text/plain", schema: { type: "string" } },
			"401": { description: "No or a wrong METRICS_TOKEN" },
		},
	},
	"GET /api/openapi.json": {
		tags: ["operations"],
		summary: "This description of the API (OpenAPI 3.1)",
		responses: { "200": { description: "The OpenAPI document", schema: { type: "object" } } },
	},
};

function kindOf(type: string): GatewayOperation["kind"] {
	return type === "multipart" || type === "stream" ? type : "call";
}

/**
 * The gateway's routes as the docs describe them: its aliases (which moleculer-web builds from the
 * service registry, remote nodes included) joined with each action's definition from the registry,
 * so the document says exactly what the gateway serves and validates.
 */
export function gatewayOperations(broker: ServiceBroker, aliases: readonly GatewayAlias[]): GatewayOperation[] {
	const actions = new Map<string, DocumentedAction>();
	for (const item of broker.registry.getActionList({ onlyAvailable: true, skipInternal: true }) as { name: string; action?: DocumentedAction }[]) {
		if (item.action) actions.set(item.name, { ...item.action, name: item.name });
	}
	const operations: GatewayOperation[] = [];
	for (const alias of aliases) {
		const action = alias.action ? actions.get(alias.action) : undefined;
		const builtIn = alias.action ? undefined : BUILT_IN_ENDPOINTS[`${alias.method} ${alias.fullPath}`];
		if (!action && !builtIn) continue;
		operations.push({
			method: alias.method.toUpperCase(),
			path: alias.fullPath,
			kind: kindOf(alias.type),
			routeName: alias.route.opts.name,
			authenticated: alias.route.opts.authentication === true,
			rateLimited: alias.route.opts.rateLimit != null,
			action,
			builtIn,
		});
	}
	return operations;
}
