import { Errors, type Middleware, type ServiceBroker } from "moleculer";

interface NatsClient {
	status(): AsyncIterable<{ type: string }>;
}

interface BusState {
	down: boolean;
	/** Remote nodes not heard from since this node got back on the bus: a request to one may fall into the void. */
	unheard: Set<string>;
}

const states = new WeakMap<ServiceBroker, BusState>();

/** Whether this node has lost its NATS server (Moleculer's transit.connected stays true through a reconnect). */
export function busIsDown(broker: ServiceBroker): boolean {
	return states.get(broker)?.down === true;
}

/**
 * Makes a NATS outage a fast, clean 503 instead of requests hanging until their timeout:
 * - while this node has lost the server, a call to a remote action fails at once with
 *   SERVICE_NOT_AVAILABLE, and calls waiting for a remote answer are rejected when the link drops;
 * - once back, a node not heard from since (it may not have reconnected yet, and NATS drops what
 *   nobody is subscribed to) is not called until its first packet arrives; every node announces
 *   itself with a heartbeat the moment it is back, so that takes milliseconds;
 * - silence while off the bus is no evidence a node died: each gets a fresh heartbeat period, so
 *   none is dropped (with its REST routes) in the seconds after the bus returns.
 */
export function busOutageMiddleware(): Middleware {
	let broker: ServiceBroker;
	const state: BusState = { down: false, unheard: new Set() };
	const remoteNodes = () => broker.registry.nodes.toArray().filter(node => !node.local && node.available);
	return {
		name: "BusOutage",
		created(b: ServiceBroker) {
			broker = b;
			states.set(broker, state);
		},
		async started() {
			const client = (broker.transit as unknown as { tx?: { client?: NatsClient } } | undefined)?.tx?.client;
			if (!client) return;
			void (async () => {
				for await (const status of client.status()) {
					if (status.type === "disconnect") {
						state.down = true;
						for (const node of remoteNodes()) broker.transit!.removePendingRequestByNodeID(node.id);
					} else if (status.type === "reconnect") {
						const now = Math.round(process.uptime());
						state.unheard = new Set(remoteNodes().map(node => node.id));
						for (const node of remoteNodes()) node.lastHeartbeatTime = now;
						state.down = false;
						void (broker.registry.discoverer as unknown as { beat(): Promise<void> }).beat();
					}
				}
			})();
		},
		transitMessageHandler(next: (cmd: string, packet: { payload?: { sender?: string } }) => unknown) {
			return (cmd: string, packet: { payload?: { sender?: string } }) => {
				if (packet.payload?.sender) state.unheard.delete(packet.payload.sender);
				return next(cmd, packet);
			};
		},
		remoteAction(next: (ctx: unknown) => Promise<unknown>) {
			return (ctx: { action: { name: string }; nodeID: string }) =>
				state.down || state.unheard.has(ctx.nodeID) ? Promise.reject(new Errors.ServiceNotAvailableError({ action: ctx.action.name, nodeID: ctx.nodeID })) : next(ctx);
		},
	} as unknown as Middleware;
}
