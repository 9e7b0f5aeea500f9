import { Writable } from "node:stream";
import { pino, type LoggerOptions } from "pino";
import { createLoggerConfig } from "../../shared/logger.ts";

/** Loosely typed, as Moleculer calls it: any arguments. */
export type LooseLogger = Record<"debug" | "info" | "warn" | "error", (...args: unknown[]) => void>;

/** A pino logger with the platform's options (mixin and hooks included), writing JSON lines into an array. */
export function captureLogLines(): { logger: LooseLogger; lines: () => Record<string, any>[] } {
	const written: string[] = [];
	const sink = new Writable({
		write(chunk, _encoding, done) {
			written.push(chunk.toString());
			done();
		},
	});
	const options = (createLoggerConfig("debug") as unknown as { options: { pino: { options: LoggerOptions } } }).options.pino.options;
	return {
		logger: pino({ ...options, transport: undefined }, sink) as unknown as LooseLogger,
		lines: () => written.join("").split("\n").filter(Boolean).map(line => JSON.parse(line)),
	};
}
