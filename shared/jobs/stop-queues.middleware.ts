import type { Middleware, ServiceBroker } from "moleculer";
import { JobQueue } from "./queue.ts";

/**
 * Stops this node's job queues when the broker starts stopping, before services wind down: a
 * service's `stopped` runs only after requests in flight have drained (up to the tracking
 * timeout), and a queue still claiming meanwhile would take work it must then hand back.
 */
export function stopQueuesMiddleware(): Middleware {
	return {
		name: "StopJobQueues",
		async stopping(broker: ServiceBroker) {
			await JobQueue.stopAll(broker.nodeID);
		},
	};
}
