import type { BrokerOptions, ServiceBroker } from "moleculer";
import { loadConfig, ConfigError } from "./shared/config.ts";
import { createBrokerOptions } from "./shared/broker-options.ts";
import { keepLivenessFile } from "./shared/liveness-file.ts";

/**
 * Loaded by the Moleculer runner. A configuration that cannot work stops the process here with one
 * line naming the variable to set, before any service starts.
 */
function load() {
	try {
		return loadConfig(process.env);
	} catch (err) {
		if (err instanceof ConfigError) {
			console.error(`Configuration error: ${err.message}`);
			process.exit(78); // EX_CONFIG
		}
		throw err;
	}
}

const config = load();
const options = createBrokerOptions(config);
let stopLiveness: (() => void) | undefined;

export default {
	...options,
	// The image's HEALTHCHECK reads LIVENESS_FILE: it works for workers too, which have no port.
	async started(broker: ServiceBroker) {
		await options.started?.(broker);
		if (config.livenessFile) stopLiveness = keepLivenessFile(config.livenessFile);
	},
	async stopped(broker: ServiceBroker) {
		stopLiveness?.();
		await options.stopped?.(broker);
	},
} satisfies BrokerOptions;
