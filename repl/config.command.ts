import type { ReplOptions, ServiceBroker } from "moleculer";

type ReplCustomCommand = NonNullable<ReplOptions["customCommands"]>[number];
import { platformConfig } from "../shared/platform.ts";

const SECRET = /key|secret|password|token/i;

function masked(value: unknown, key = ""): unknown {
	if (value && typeof value === "object" && !Array.isArray(value)) {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, k)]));
	}
	if (typeof value === "string" && SECRET.test(key)) return "********";
	if (typeof value === "string" && /^(postgres|postgresql|redis|rediss|nats):/.test(value)) return value.replace(/\/\/[^@/]*@/, "//****@");
	return value;
}

/** `config`: the effective configuration of this process, secrets masked. */
export const configCommand: ReplCustomCommand = {
	command: "config",
	description: "Show this process's effective configuration (secrets masked)",
	action(broker: ServiceBroker) {
		console.log(JSON.stringify(masked(platformConfig(broker)), null, 2));
	},
};
