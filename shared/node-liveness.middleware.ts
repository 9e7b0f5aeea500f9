import type { Middleware, ServiceBroker } from "moleculer";
import type { PlatformConfig } from "./config.ts";
import { busIsDown } from "./bus-outage.middleware.ts";

interface Discoverer {
	sendHeartbeat(): Promise<void>;
}

/**
 * Notices a dead node within NODE_TIMEOUT_MS (default 1.5 s) instead of Moleculer's 6-12 s.
 *
 * A SIGKILLed node says no goodbye, and NATS tells no one: requests sent to it vanish, and before
 * this they waited until Moleculer's heartbeat check (whole seconds, `heartbeatTimeout` checked only
 * every `heartbeatTimeout`) dropped the node, 10-11.5 s, even with a healthy replica beside it.
 * Moleculer cannot beat faster than every 0.5-1.5 s (its interval carries ±0.5 s of jitter), so this
 * node sends its own heartbeat every quarter of the timeout and drops, to the millisecond, a remote
 * node it has heard nothing from (any packet counts) for the whole timeout. Dropping it rejects the
 * calls waiting on it at once, which safeRetryMiddleware sends to another node when that is safe.
 * A node dropped wrongly (its event loop was stuck) rejoins with its next heartbeat.
 */
export function nodeLivenessMiddleware(config: PlatformConfig): Middleware {
	const timeoutMs = config.faults.nodeTimeoutMs;
	const lastHeard = new Map<string, number>();
	let broker: ServiceBroker;
	let timers: NodeJS.Timeout[] = [];
	const remoteNodes = () => broker.registry.nodes.toArray().filter(node => !node.local && node.available);
	let lastCheck = Date.now();

	const check = () => {
		const now = Date.now();
		// This node was frozen (or off the bus): the silence is ours, not theirs; give every node a fresh period.
		const stalled = now - lastCheck > timeoutMs / 2;
		lastCheck = now;
		for (const node of remoteNodes()) {
			const heard = lastHeard.get(node.id);
			if (heard === undefined || stalled || busIsDown(broker)) {
				lastHeard.set(node.id, now);
			} else if (now - heard > timeoutMs) {
				broker.logger.warn(`Node '${node.id}' silent for ${now - heard} ms (NODE_TIMEOUT_MS=${timeoutMs}): dropped, its calls fail over`);
				lastHeard.delete(node.id);
				broker.registry.nodes.disconnected(node.id, true);
			}
		}
	};

	return {
		name: "NodeLiveness",
		created(b: ServiceBroker) {
			broker = b;
		},
		started() {
			const discoverer = broker.registry.discoverer as unknown as Discoverer;
			lastCheck = Date.now();
			timers = [
				setInterval(() => void discoverer.sendHeartbeat().catch(() => {}), Math.max(100, Math.floor(timeoutMs / 4))),
				setInterval(check, Math.max(50, Math.floor(timeoutMs / 8))),
			];
			for (const timer of timers) timer.unref();
		},
		stopping() {
			for (const timer of timers) clearInterval(timer);
		},
		transitMessageHandler(next: (cmd: string, packet: { payload?: { sender?: string } }) => unknown) {
			return (cmd: string, packet: { payload?: { sender?: string } }) => {
				const sender = packet.payload?.sender;
				if (sender) lastHeard.set(sender, Date.now());
				return next(cmd, packet);
			};
		},
	} as unknown as Middleware;
}
