/**
 * What an action may declare, besides `rest` and `params`, to enrich its entry in /api/openapi.json.
 * All optional; docs/console.md explains the convention with an example.
 */
export interface ActionOpenApi {
	/** One line shown in the operation list. */
	summary?: string;
	/** Longer Markdown text. */
	description?: string;
	/** Groups in the docs viewer; default: the service name. */
	tags?: string[];
	deprecated?: boolean;
	/** Status code -> what the answer means and looks like. A 2xx here replaces the default 200. */
	responses?: Record<string, ResponseDoc>;
	/** An example request body (JSON actions) shown in "Try it out". */
	requestExample?: unknown;
	/** Multipart uploads: the form's file field name (default `file`) and other fields the action reads. */
	multipart?: { fileField?: string; fields?: Record<string, { description?: string; type?: string }> };
}

export interface ResponseDoc {
	description?: string;
	/** Content type of the answer; default application/json. */
	contentType?: string;
	/** A JSON Schema of the answer. */
	schema?: Record<string, unknown>;
	example?: unknown;
}

/** The parts of a registered action the generator reads; functions never cross the transporter, so none are used. */
export interface DocumentedAction {
	name: string;
	params?: Record<string, unknown>;
	/** Gateway options (services/api/api.service.ts): `auth: "public"` needs no sign-in; `roles` restricts. */
	auth?: "public" | "required";
	roles?: string[];
	/** Plain Moleculer actions may carry a description; `openapi.description` wins. */
	description?: string;
	openapi?: ActionOpenApi;
}

/** One HTTP route the gateway serves, as the docs need it. */
export interface GatewayOperation {
	/** Upper-case HTTP method, or `*` for "any method". */
	method: string;
	/** Full path in the gateway's syntax (`/api/v1/documents/:id`). */
	path: string;
	/** How the gateway feeds the action: JSON/query params, a multipart upload, or a raw body stream. */
	kind: "call" | "multipart" | "stream";
	/** The moleculer-web route it belongs to (its `name`), which decides the error shape. */
	routeName?: string;
	/** Whether the route checks credentials at all. */
	authenticated: boolean;
	/** Whether the route has a rate limit (so 429 is a possible answer). */
	rateLimited: boolean;
	action?: DocumentedAction;
	/** Routes served by a function instead of an action (health, metrics) describe themselves here. */
	builtIn?: ActionOpenApi;
}

// Lets every service declare `openapi` on its actions, type-checked.
declare module "moleculer" {
	interface ActionSchema {
		openapi?: ActionOpenApi;
	}
}
