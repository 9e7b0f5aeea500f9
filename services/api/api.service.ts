import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallingOptions, Context, Service, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { platformConfig } from "../../shared/platform.ts";
import { forbidden, unauthorized } from "../../shared/errors.ts";
import { learnRouteOwners, outageForMissingRoute, type GatewayRoute } from "./route-availability.ts";
import { sendErrorResponse } from "./http-errors.ts";
import { refuseUploads } from "../../shared/upload-gate.middleware.ts";
import { compileTrust } from "./client-ip.ts";
import { noStorePrivateAnswers } from "./private-answers.ts";
import { healthRoute } from "./routes/health.route.ts";
import { metricsRoute } from "./routes/metrics.route.ts";
import { restApiRoute } from "./routes/rest-api.route.ts";
import { openAiCompatibleRoute } from "./routes/openai-compatible.route.ts";
import { openApiRoute } from "./routes/openapi.route.ts";
import { docsRoute } from "./routes/docs.route.ts";
import { consoleRoute } from "./routes/console.route.ts";
import type { AuthenticatedUser } from "../../shared/contracts/auth.ts";
import { onStopBegins } from "../../shared/graceful-stop.middleware.ts";
import { HttpDrain } from "./http-drain.ts";
import { logAccess, rememberFailure } from "./access-log.ts";
import { acceptClientRequestId } from "./request-id.ts";
import { withLogContext } from "../../shared/log-context.middleware.ts";

/** What an action may declare for the gateway: `auth: "public"` skips sign-in, `roles` restricts it. */
export interface GatewayActionOptions {
	auth?: "public" | "required";
	roles?: string[];
}

// Lets every service declare the gateway options on its actions, type-checked.
declare module "moleculer" {
	interface ActionSchema extends GatewayActionOptions {}
}

type GatewayRequest = IncomingMessage & { $action?: GatewayActionOptions };

const gatewayMethods = (ApiGateway as unknown as ServiceSchema).methods!;

const ApiService: ServiceSchema<Record<string, any>> = {
	name: "api",
	mixins: [ApiGateway as unknown as ServiceSchema],
	settings: {
		// Routes are added in created(), from the broker's validated configuration.
		routes: null,
		// The access log (access-log.ts) says it once, with the request id and user.
		logRequest: null,
		logResponse: null,
		logRequestParams: null,
		logRouteRegistration: "debug",
		// Aliases are regenerated when services (dis)appear; wait little, so the node is ready fast.
		debounceTime: 50,
		rootCallOptions(this: Service, options: CallingOptions, req: IncomingMessage) {
			acceptClientRequestId(options, req);
		},
		// Runs on every route: no answer that carries a token, a key or personal data is cached.
		use: [noStorePrivateAnswers],
		onError(this: Service, req: IncomingMessage, res: ServerResponse, err: unknown) {
			refuseUploads(req, err);
			const answered = outageForMissingRoute(this, req, res, err);
			// The access log names what the client was told (a missing route's 404 becomes a 503).
			rememberFailure(res, answered);
			sendErrorResponse(req, res, answered);
		},
	},

	created() {
		const config = platformConfig(this.broker);
		this.settings.port = config.port;
		this.settings.ip = config.host;
		this.settings.trustProxy = compileTrust(config.trustProxy);
		// Express's meaning, which until now read the last entry here: say so to whoever upgrades with it.
		if (config.trustProxy === true) this.logger.warn("TRUST_PROXY=true believes every X-Forwarded-For hop, so clients choose their own address; set a hop count or your proxies' ranges (docs/deploy.md)");
		for (const route of [healthRoute(), metricsRoute(config.metrics), restApiRoute(config), openAiCompatibleRoute()]) {
			this.addRoute(route);
		}
		// The console's "/" catches every path the others leave, so it comes last.
		for (const route of [openApiRoute(this), docsRoute(), consoleRoute(this)]) this.addRoute(route);
		// moleculer-web closes the listener only in stopped(), after the broker has waited for requests in flight.
		const drain = new HttpDrain(this.server);
		onStopBegins(this.broker, deadline => drain.drain(deadline));
	},

	methods: {
		/** moleculer-web's own, after the access log is set to write its line when the answer is done. */
		httpHandler(this: Service, req: IncomingMessage, res: ServerResponse, next?: unknown) {
			logAccess(this.logger, req, res);
			return gatewayMethods.httpHandler.call(this, req, res, next);
		},

		/**
		 * moleculer-web's own logs every error without a 4xx `code` as "Request error!" with the stack
		 * in the message, an open circuit's 502 included. The access-log line logs it instead, once:
		 * at warn without a stack for a refusal, at error with `err.stack` for a 500.
		 */
		errorHandler(this: Service, req: IncomingMessage, res: ServerResponse, err: unknown) {
			rememberFailure(res, err);
			// Called after the request's action has settled: what the error handlers log should still name it.
			const ctx = (req as GatewayRequest & { $ctx?: Context }).$ctx;
			const send = () => gatewayMethods.sendError.call(this, req, res, err);
			return ctx ? withLogContext(ctx, send) : send();
		},

		/**
		 * moleculer-web's own, run on every (re)generation of a route's aliases from the registry; the
		 * gateway then remembers which service served which path, to answer 503 once it is gone.
		 */
		regenerateAutoAliases(this: Service, route: GatewayRoute) {
			gatewayMethods.regenerateAutoAliases.call(this, route);
			learnRouteOwners(this, route);
		},

		/** One authentication hook for every route: an access JWT or an API key, resolved by the auth service. */
		async authenticate(ctx: Context, _route: unknown, req: GatewayRequest): Promise<AuthenticatedUser | null> {
			if (req.$action?.auth === "public") return null;
			const header = req.headers.authorization;
			if (!header) throw unauthorized("Authentication required: send Authorization: Bearer <access token or API key>");
			const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
			if (!match) throw unauthorized("Malformed Authorization header: expected Bearer <access token or API key>");
			return ctx.call<AuthenticatedUser, { credential: string }>("auth.authenticate", { credential: match[1] });
		},

		/** Roles are checked here and nowhere else; ownership is enforced by each service's queries. */
		authorize(ctx: Context<unknown, { user?: AuthenticatedUser | null }>, _route: unknown, req: GatewayRequest): void {
			const roles = req.$action?.roles;
			if (!roles || roles.length === 0) return;
			if (!ctx.meta.user || !roles.includes(ctx.meta.user.role)) throw forbidden("Your role does not allow this");
		},
	},
};

export default ApiService;
