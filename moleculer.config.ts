import { loadConfig, ConfigError } from "./shared/config.ts";
import { createBrokerOptions } from "./shared/broker-options.ts";

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

export default createBrokerOptions(load());
