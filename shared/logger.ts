import type { LoggerConfig } from "moleculer";
import type { LogLevel } from "./config.ts";

/**
 * pino everywhere: JSON lines in production, pretty output only when a person watches a terminal
 * (pino-pretty runs in a worker thread, which costs memory we do not spend on servers).
 */
export function createLoggerConfig(level: LogLevel): LoggerConfig {
	const pretty = process.stdout.isTTY && process.env.NODE_ENV !== "production";
	return {
		type: "Pino",
		options: {
			level,
			pino: {
				options: {
					level,
					base: undefined,
					timestamp: () => `,"time":"${new Date().toISOString()}"`,
					...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" } } } : {}),
				},
			},
		},
	};
}
