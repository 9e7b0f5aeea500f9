import { inspect } from "node:util";
import type { LoggerConfig } from "moleculer";
import type { LogLevel } from "./config.ts";
import { currentLogContext } from "./log-context.middleware.ts";

/**
 * Moleculer logs in several arguments (moleculer-web: "Request error!", err.name, ":", err.message,
 * "\n", err.stack); pino keeps only the first unless it holds printf placeholders, so a 500's cause
 * never reached the log. Joins them into the message, and keeps an Error as `err` (with its stack).
 */
function joinArguments(this: unknown, args: unknown[], method: (...args: unknown[]) => void): void {
	if (args.length < 2 || typeof args[0] !== "string" || args[0].includes("%")) return method.apply(this, args);
	const error = args.find((arg): arg is Error => arg instanceof Error);
	const text = args
		.filter(arg => arg !== error && arg !== undefined)
		.map(arg => (typeof arg === "string" ? arg : inspect(arg, { depth: 4, breakLength: Infinity })))
		.join(" ")
		.replace(/[ \t]*\n[ \t]*/g, "\n")
		.trim();
	if (error) method.call(this, { err: error }, text);
	else method.call(this, text);
}

/**
 * pino everywhere: JSON lines in production, pretty output only when a person watches a terminal
 * (pino-pretty runs in a worker thread, which costs memory we do not spend on servers).
 * Every line carries `nodeID` (Moleculer's binding) and, while serving a request, its `requestId`
 * and `userId` (pino's mixin, read from logContextMiddleware's AsyncLocalStorage).
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
					hooks: { logMethod: joinArguments },
					mixin: currentLogContext,
					timestamp: () => `,"time":"${new Date().toISOString()}"`,
					...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" } } } : {}),
				},
			},
		},
	};
}
