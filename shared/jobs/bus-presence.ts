import type { ServiceBroker } from "moleculer";
import { busIsDown } from "../bus-outage.middleware.ts";
import { platformConfig } from "../platform.ts";

/** How long a lease owner unknown to this node's registry has to answer a ping before it counts as gone. */
const PING_TIMEOUT_MS = 1_500;

/**
 * For JobQueue's `waitsFor`: names what a job of this queue needs and cannot reach now (the bus,
 * or an action no available node offers), or null when everything is there.
 */
export function missingDependency(broker: ServiceBroker, actions: string[]): () => string | null {
	return () => {
		if (broker.transit && busIsDown(broker)) return "the message bus";
		const missing = actions.find(action => !broker.registry.getActionEndpoints(action)?.hasAvailable());
		return missing ? `${missing} is not reachable` : null;
	};
}

/**
 * For JobQueue's `ownerGone`: whether the node named in a lease has left. With no transporter and
 * SQLite, the process is the only one using its database file, so any other owner is a predecessor
 * that is gone. With no transporter and PostgreSQL, another process may share the database unseen
 * (a zero-downtime deploy runs the old and the new instance side by side for a while): its jobs are
 * left to their leases, which a live owner keeps renewing, so nothing runs twice. On the bus, a node
 * this one knows as available is alive; any other (not discovered yet, or already dropped) is asked
 * with a ping, so a live node that this one has not heard of yet keeps its jobs. Nothing is
 * decided while this node is itself off the bus.
 */
export function leaseOwnerGone(broker: ServiceBroker): (owner: string) => Promise<boolean> {
	return async owner => {
		if (owner === broker.nodeID) return false;
		if (!broker.transit) return platformConfig(broker).databaseUrl === undefined;
		if (!broker.transit.connected || busIsDown(broker)) return false;
		if (broker.registry.nodes.get(owner)?.available) return false;
		return (await broker.ping(owner, PING_TIMEOUT_MS)) == null;
	};
}

/** How many nodes offer `service` now (at least 1: this one): queue bounds that are per node scale with it. */
export function nodesOffering(broker: ServiceBroker, service: string): number {
	const nodes = new Set(
		(broker.registry.getServiceList({ onlyAvailable: true }) as { name: string; nodeID: string }[]).filter(s => s.name === service).map(s => s.nodeID)
	);
	return Math.max(1, nodes.size);
}
