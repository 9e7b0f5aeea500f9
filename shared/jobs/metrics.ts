import type { ServiceBroker } from "moleculer";

const QUEUED = "platform.jobs.queued";
const RUNNING = "platform.jobs.running";

/**
 * The queue-depth gauges (`platform.jobs.queued`: jobs due and waiting, all nodes;
 * `platform.jobs.running`: jobs running on this node), labelled by queue; returns the JobQueue
 * `onDepth` hook that keeps them current.
 */
export function jobQueueGauges(broker: ServiceBroker, queue: string): (queued: number, running: number) => void {
	if (!broker.isMetricsEnabled()) return () => {};
	if (!broker.metrics.getMetric(QUEUED)) {
		broker.metrics.register({ type: "gauge", name: QUEUED, labelNames: ["queue"], description: "Jobs queued and due, waiting for a worker (all nodes)" });
		broker.metrics.register({ type: "gauge", name: RUNNING, labelNames: ["queue"], description: "Jobs running on this node" });
	}
	return (queued, running) => {
		broker.metrics.set(QUEUED, queued, { queue });
		broker.metrics.set(RUNNING, running, { queue });
	};
}
