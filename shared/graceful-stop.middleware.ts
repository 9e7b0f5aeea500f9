import type { Middleware, ServiceBroker } from "moleculer";
import type { PlatformConfig } from "./config.ts";

/** Work to do the moment a stop begins (the gateway closing its listener), given the stop's deadline (ms since the epoch). */
export type StopBeginsHandler = (deadline: number) => Promise<void>;

const handlers = new WeakMap<ServiceBroker, Set<StopBeginsHandler>>();

/** Runs `handler` first thing when `broker` stops, before Moleculer waits for requests in flight. */
export function onStopBegins(broker: ServiceBroker, handler: StopBeginsHandler): void {
	let set = handlers.get(broker);
	if (!set) handlers.set(broker, (set = new Set()));
	set.add(handler);
}

/** Time kept after the waits for the rest of the stop: services' own `stopped`, pools, the bus. */
const CLOSING_MS = 1_000;

/**
 * A stop that ends within SHUTDOWN_TIMEOUT_MS (default 5 s) and takes no new work meanwhile.
 *
 * Moleculer's stop waits for the contexts in flight (up to `tracking.shutdownTimeout`, twice: once
 * for the broker, once per service) before any service's `stopped` runs, and the gateway closes its
 * listener only there: it kept serving new requests for the whole wait (2,273 in 10 s under load)
 * and exited after 16 s, past Docker's 10 s grace period. Middleware `stopping` hooks run only after
 * that wait, so the stop is wrapped instead: the handlers registered with onStopBegins run first
 * (the gateway stops accepting and drains), then Moleculer's own stop, whose waits get what is left
 * of the time. A stop by signal that still overruns (a hung close) ends the process at the deadline.
 */
export function gracefulStopMiddleware(config: PlatformConfig): Middleware {
	let hardExit: NodeJS.Timeout | undefined;
	const armHardExit = () => {
		hardExit ??= setTimeout(() => {
			console.error(`Stop took longer than SHUTDOWN_TIMEOUT_MS=${config.faults.shutdownTimeoutMs}: exiting now`);
			process.exit(1);
		}, config.faults.shutdownTimeoutMs + 250).unref();
	};
	return {
		name: "GracefulStop",
		created(broker: ServiceBroker) {
			const moleculerStop = broker.stop.bind(broker);
			let stopping: Promise<void> | undefined;
			broker.stop = () =>
				(stopping ??= (async () => {
					const deadline = Date.now() + config.faults.shutdownTimeoutMs;
					try {
						await Promise.all([...(handlers.get(broker) ?? [])].map(handler => handler(deadline).catch(err => broker.logger.warn(`Stop: ${(err as Error).message}`))));
						const tracking = (broker.options as { tracking: { shutdownTimeout: number } }).tracking;
						tracking.shutdownTimeout = Math.max(100, Math.floor((deadline - Date.now() - CLOSING_MS) / 2));
						await moleculerStop();
					} finally {
						stopping = undefined;
					}
				})());
			// The process-level signal handlers Moleculer registers call broker.stop(), now the wrapped one.
			if ((broker.options as { skipProcessEventRegistration?: boolean }).skipProcessEventRegistration !== true) {
				process.once("SIGTERM", armHardExit);
				process.once("SIGINT", armHardExit);
			}
		},
		stopped() {
			process.removeListener("SIGTERM", armHardExit);
			process.removeListener("SIGINT", armHardExit);
		},
	} as unknown as Middleware;
}
