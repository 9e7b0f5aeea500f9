import type { IncomingMessage } from "node:http";
import type { ServiceBroker } from "moleculer";

/** The service behind each public path prefix: its REST aliases exist only while a node runs it. */
const SERVICE_OF_PREFIX: [RegExp, string[]][] = [
	[/^\/api\/v1\/auth(\/|$|\?)/, ["auth"]],
	[/^\/api\/v1\/documents\/[^/?]+\/analyses/, ["analyses"]],
	[/^\/api\/v1\/documents(\/|$|\?)/, ["documents"]],
	[/^\/api\/v1\/analyses(\/|$|\?)/, ["analyses"]],
	[/^\/api\/v1\/llm(\/|$|\?)/, ["llm"]],
	[/^\/api\/v1\/(optimizer|profiles)(\/|$|\?)/, ["optimizer"]],
	[/^\/v1\//, ["openai"]],
];

/**
 * moleculer-web answers 404 for a path whose alias is gone, and aliases go when the service's
 * last node leaves the registry (a crash, or the bus down). For the platform's own prefixes that
 * is an outage, not a wrong address: 503, so clients retry.
 */
export function routeMissingBecauseServiceIsDown(broker: ServiceBroker, req: IncomingMessage, err: unknown): boolean {
	if ((err as { code?: number })?.code !== 404 || (err as { type?: string }).type !== "NOT_FOUND" || (err as { name?: string }).name !== "NotFoundError") return false;
	const services = SERVICE_OF_PREFIX.find(([prefix]) => prefix.test(req.url ?? ""))?.[1];
	if (services === undefined) return false;
	const available = new Set(broker.registry.getServiceList({ onlyAvailable: true }).map(service => service.name));
	return services.some(name => !available.has(name));
}
