import type { ServiceBroker } from "moleculer";
import type { PlatformConfig } from "./config.ts";

/**
 * The validated configuration travels in the broker's own options (never in node metadata, which is
 * broadcast over the transporter), so tests can run brokers with different settings in one process.
 */
export function platformConfig(broker: ServiceBroker): PlatformConfig {
	const config = (broker.options as { platform?: PlatformConfig }).platform;
	if (!config) throw new Error("The broker was created without `platform` options; build it with createBrokerOptions()");
	return config;
}
