import { expect } from "chai";
import { Writable } from "node:stream";
import { pino, type LoggerOptions } from "pino";
import { createLoggerConfig } from "../../shared/logger.ts";

/** A pino logger with the platform's options, writing JSON lines into an array. */
/** Loosely typed, as Moleculer calls it: any arguments. */
type LooseLogger = Record<"info" | "warn" | "error", (...args: unknown[]) => void>;

function capture(): { logger: LooseLogger; lines: () => Record<string, any>[] } {
	const written: string[] = [];
	const sink = new Writable({
		write(chunk, _encoding, done) {
			written.push(chunk.toString());
			done();
		},
	});
	const options = (createLoggerConfig("info") as unknown as { options: { pino: { options: LoggerOptions } } }).options.pino.options;
	return { logger: pino({ ...options, transport: undefined }, sink) as unknown as LooseLogger, lines: () => written.join("").split("\n").filter(Boolean).map(line => JSON.parse(line)) };
}

describe("logs", () => {
	it("keep every argument Moleculer passes, so a request error shows its cause and stack", () => {
		const { logger, lines } = capture();
		const err = new TypeError("Cannot read properties of undefined (reading 'name')");
		logger.error("   Request error!", err.name, ":", err.message, "\n", err.stack, "\nData:", undefined);
		const [line] = lines();
		expect(line.msg).to.contain("Request error! TypeError : Cannot read properties of undefined (reading 'name')");
		expect(line.msg).to.contain("at "); // the stack
	});

	it("keep an Error argument as `err`, with its type and stack", () => {
		const { logger, lines } = capture();
		logger.warn("Storing call records failed:", new Error("database is locked"));
		const [line] = lines();
		expect(line.msg).to.equal("Storing call records failed:");
		expect(line.err).to.include({ type: "Error", message: "database is locked" });
		expect(line.err.stack).to.contain("database is locked");
	});

	it("leave pino's own forms alone: an object first, or printf placeholders", () => {
		const { logger, lines } = capture();
		logger.info({ userId: "u1" }, "signed in");
		logger.info("%d documents", 3);
		const [first, second] = lines();
		expect(first).to.include({ userId: "u1", msg: "signed in" });
		expect(second.msg).to.equal("3 documents");
	});
});
