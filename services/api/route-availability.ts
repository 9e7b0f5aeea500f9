import type { IncomingMessage, ServerResponse } from "node:http";
import type { Service, ServiceBroker } from "moleculer";
import { SERVICE_UNREACHABLE, serviceUnavailable } from "../../shared/errors.ts";

/**
 * moleculer-web answers 404 for a path whose alias is gone, and auto-aliases go when the service's
 * last node leaves the registry (a crash, or the bus down). For a path a service served, that is
 * an outage, not a wrong address: 503, so clients retry.
 *
 * Which service serves which path is not written down here: the gateway learns it each time it
 * builds a route's aliases (from the registry, so remote services count the same as local ones)
 * and never forgets it. A path then belongs to the most specific pattern that ever matched it:
 * - each alias the gateway built, as a prefix: /api/v1/documents/:id/analyses (the `analyses`
 *   service) claims /api/v1/documents/x/analyses, /api/v1/documents/:id (`documents`) the rest of
 *   /api/v1/documents/x/...;
 * - each serving service's base path (its `settings.rest`, else its name) under the route: the
 *   service's paths the gateway never saw, /api/v1/auth/anything for `auth`.
 * Until a service a route whitelists (`"llm.*"`) has been seen at all, for instance when the
 * gateway started while it was down, its paths are unknown: a 404 under that route is then a 503.
 *
 * moleculer-web rebuilds a route's aliases a `debounceTime` after the registry changed, so for that
 * moment a service that has just (re)joined is in the registry but not yet routed. The gateway
 * remembers which registry its aliases were built from; while that is not the registry of now, the
 * routes are being rebuilt: any 404 is a 503 with Retry-After (the path may well exist a moment
 * later), and /health/ready is not ready.
 */

/** What this module reads of moleculer-web's routes and aliases (src/index.js, src/alias.js). */
export interface GatewayRoute {
	path: string;
	opts: { whitelist?: unknown[] };
}

interface GatewayAlias {
	route: GatewayRoute;
	fullPath: string;
	action: string | null;
}

/** An entry of `registry.getServiceList({ withActions: true })`, where moleculer-web reads it from. */
interface RegisteredService {
	fullName: string;
	settings?: { rest?: unknown };
	actions?: Record<string, unknown>;
}

interface Claim {
	/** Path segments; ":name" is any one segment. */
	segments: string[];
	params: number;
	services: Set<string>;
}

function splitPath(path: string): string[] {
	return path.split("/").filter(Boolean);
}

/**
 * A pattern's segments up to the first one this simple matcher cannot read (path-to-regexp's
 * optional groups, wildcards, "file.:ext"): the part before it still tells whose path it is.
 */
function patternSegments(pattern: string): string[] {
	const segments: string[] = [];
	for (const segment of splitPath(pattern)) {
		if (/[{}()*?+]/.test(segment) || (segment.includes(":") && !/^:\w+$/.test(segment))) break;
		segments.push(segment.toLowerCase());
	}
	return segments;
}

/** The base paths moleculer-web mounts a service's REST actions under (its regenerateAutoAliases()). */
function basePaths(service: RegisteredService): string[] {
	const byName = service.fullName.replace(/\./g, "/");
	const rest = service.settings?.rest;
	const paths = typeof rest === "string" ? [rest] : Array.isArray(rest) ? rest : [byName];
	return paths.map(path => (typeof path === "string" ? path : byName));
}

/** A service name a whitelist mask stands for: "llm.*" is the `llm` service. */
function whitelistedService(mask: unknown): string | undefined {
	return typeof mask === "string" ? /^([^*?]+)\.\*{1,2}$/.exec(mask)?.[1] : undefined;
}

/** Which services a gateway has seen serving which paths. */
export class RouteOwners {
	private readonly claims = new Map<string, Claim>();
	private readonly known = new Set<string>();

	/** Records what the gateway has just built for `route`; call after each (re)generation of its aliases. */
	learn(route: GatewayRoute, aliases: readonly GatewayAlias[], services: readonly RegisteredService[]): void {
		const serviceOfAction = new Map<string, string>();
		for (const service of services) {
			this.known.add(service.fullName);
			for (const action of Object.keys(service.actions ?? {})) serviceOfAction.set(action, service.fullName);
		}
		const serving = new Set<string>();
		for (const alias of aliases) {
			const service = alias.route === route && alias.action ? serviceOfAction.get(alias.action) : undefined;
			if (service === undefined) continue;
			this.claim(alias.fullPath, service);
			serving.add(service);
		}
		for (const service of services) {
			if (!serving.has(service.fullName)) continue;
			for (const base of basePaths(service)) this.claim(`${route.path}/${base}`, service.fullName);
		}
	}

	private claim(pattern: string, service: string): void {
		const segments = patternSegments(pattern);
		const key = segments.join("/");
		const claim = this.claims.get(key) ?? { segments, params: segments.filter(s => s.startsWith(":")).length, services: new Set<string>() };
		claim.services.add(service);
		this.claims.set(key, claim);
	}

	/** The services whose path `path` is: those of the most specific claim it falls under (none: nobody's). */
	ownersOf(path: string): string[] {
		const segments = splitPath(path).map(s => s.toLowerCase());
		let best: Claim[] = [];
		for (const claim of this.claims.values()) {
			if (claim.segments.length === 0 || claim.segments.length > segments.length) continue;
			if (!claim.segments.every((s, i) => s === segments[i] || s.startsWith(":"))) continue;
			const order = best.length === 0 ? -1 : claim.segments.length - best[0].segments.length || best[0].params - claim.params;
			if (order > 0 || best.length === 0) best = [claim];
			else if (order === 0) best.push(claim);
		}
		return [...new Set(best.flatMap(claim => [...claim.services]))];
	}

	/** Services `route` whitelists that this gateway has never seen, so it cannot know their paths. */
	unseenServices(route: GatewayRoute | undefined): string[] {
		const masks = route?.opts.whitelist ?? [];
		return masks.map(whitelistedService).filter((name): name is string => name !== undefined && !this.known.has(name));
	}
}

const owners = new WeakMap<Service, RouteOwners>();

/** The registry, as far as routes depend on it: every service and its actions, in a stable order. */
function registrySignature(broker: ServiceBroker): string {
	const services = broker.registry.getServiceList({ withActions: true, grouping: true }) as unknown as RegisteredService[];
	return services
		.map(service => `${service.fullName}(${Object.keys(service.actions ?? {}).sort().join(",")})`)
		.sort()
		.join(";");
}

/** Per gateway: the registry its aliases were last built from. */
const builtFrom = new WeakMap<Service, string>();

/** Whether the gateway's routes were built from the registry as it is now: no rebuild pending. */
export function routesAreCurrent(gateway: Service): boolean {
	return builtFrom.get(gateway) === registrySignature(gateway.broker);
}

/** The paths `gateway` has learned; one record per gateway service. */
function routeOwners(gateway: Service): RouteOwners {
	let record = owners.get(gateway);
	if (!record) owners.set(gateway, (record = new RouteOwners()));
	return record;
}

/** For the gateway's regenerateAutoAliases(): learns what it has just built for `route`. */
export function learnRouteOwners(gateway: Service, route: GatewayRoute): void {
	const aliases = (gateway as unknown as { aliases: GatewayAlias[] }).aliases;
	const services = gateway.broker.registry.getServiceList({ withActions: true, grouping: true }) as unknown as RegisteredService[];
	routeOwners(gateway).learn(route, aliases, services);
	// Every route with auto-aliases is rebuilt in the same (synchronous) pass, from this registry.
	builtFrom.set(gateway, registrySignature(gateway.broker));
}

function availableServices(broker: ServiceBroker): Set<string> {
	return new Set((broker.registry.getServiceList({ onlyAvailable: true }) as unknown as RegisteredService[]).map(service => service.fullName));
}

/** Seconds a client is told to wait: routes are rebuilt within moleculer-web's debounce; a service takes longer to return. */
const RETRY_AFTER_REBUILD_SECONDS = 1;
const RETRY_AFTER_OUTAGE_SECONDS = 5;

/**
 * The error to answer `req` with: for the gateway's 404 `err`, a 503 with Retry-After when the
 * path's service is down or while the routes are being rebuilt; else `err`.
 */
export function outageForMissingRoute(gateway: Service, req: IncomingMessage, res: ServerResponse, err: unknown): unknown {
	if (!isGatewayNotFound(err)) return err;
	if (routeMissingBecauseServiceIsDown(gateway, req)) {
		if (!res.headersSent) res.setHeader("Retry-After", String(RETRY_AFTER_OUTAGE_SECONDS));
		return serviceUnavailable(SERVICE_UNREACHABLE);
	}
	if (!routesAreCurrent(gateway)) {
		if (!res.headersSent) res.setHeader("Retry-After", String(RETRY_AFTER_REBUILD_SECONDS));
		return serviceUnavailable("The gateway is updating its routes; try again in a moment");
	}
	return err;
}

/** moleculer-web's own "no alias for this path" (not an action's 404 for a missing record). */
function isGatewayNotFound(err: unknown): boolean {
	return (err as { code?: number })?.code === 404 && (err as { type?: string }).type === "NOT_FOUND" && (err as { name?: string }).name === "NotFoundError";
}

/** Whether the gateway's 404 for `req` means "its service is down" rather than "no such path". */
function routeMissingBecauseServiceIsDown(gateway: Service, req: IncomingMessage): boolean {
	const request = req as IncomingMessage & { parsedUrl?: string; originalUrl?: string; $route?: GatewayRoute };
	const path = request.parsedUrl ?? (request.originalUrl ?? request.url ?? "").split("?")[0];
	const record = routeOwners(gateway);
	const services = record.ownersOf(path);
	if (services.length === 0) services.push(...record.unseenServices(request.$route));
	if (services.length === 0) return false;
	const available = availableServices(gateway.broker);
	return services.some(name => !available.has(name));
}
