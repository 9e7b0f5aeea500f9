import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ExtractionOutcome, ExtractionTask } from "./extract-document.ts";
import type { ExtractionReply, ExtractionRequest } from "./extraction-process.ts";

export interface ExtractionSandboxOptions {
	/** Extraction processes at once. */
	processes: number;
	/** Resident memory (MB) of one extraction process; past it the process is killed. */
	memoryMb: number;
	/** A document taking longer is abandoned (and its process killed). */
	timeLimitMs: number;
	/** An idle process exits after this long, giving its memory back. */
	idleTimeoutMs: number;
}

/** Why a document ended without an outcome from its process; the text is for the uploader. */
export class ExtractionLimitError extends Error {
	readonly limit: "memory" | "time";
	constructor(limit: "memory" | "time", message: string) {
		super(message);
		this.name = "ExtractionLimitError";
		this.limit = limit;
	}
}

/** How often the watchdog reads an extraction process's resident memory. */
const WATCH_EVERY_MS = 25;

/**
 * The process file sits beside this one: .ts when Node strips types from the sources (tests,
 * `node --run`), .js in the compiled dist/ that `npm start` runs.
 */
function processFile(): string {
	const self = fileURLToPath(import.meta.url);
	return path.join(path.dirname(self), `extraction-process${path.extname(self)}`);
}

/** Resident memory of a process in MB from /proc (Linux); undefined where there is no /proc or the process is gone. */
function residentMb(pid: number): number | undefined {
	try {
		const match = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
		return match ? Number(match[1]) / 1024 : undefined;
	} catch {
		return undefined;
	}
}

/** One forked extraction process, reused for one document after another until it idles out or is killed. */
class ExtractionProcess {
	readonly child: ChildProcess;
	/** Documents it has extracted: memory a former document left behind counts against the next one's. */
	documents = 0;
	#exited = false;
	#idleTimer: NodeJS.Timeout | undefined;

	constructor(options: ExtractionSandboxOptions) {
		// The V8 heap stays under the ceiling, so an ordinary heap overflow ends the process cleanly;
		// the watchdog covers what lives outside the heap (pdf.js's and zlib's ArrayBuffers).
		const heapMb = Math.max(32, Math.floor((options.memoryMb * 3) / 4));
		this.child = fork(processFile(), [], {
			execArgv: [`--max-old-space-size=${heapMb}`, "--max-semi-space-size=4"],
			serialization: "advanced",
			stdio: ["ignore", "ignore", "inherit", "ipc"],
			env: { ...process.env, MALLOC_ARENA_MAX: "2" },
		});
		this.child.once("exit", () => (this.#exited = true));
		// A failed fork reports here; the job waiting on it hears of it through "exit".
		this.child.on("error", () => {});
	}

	get alive(): boolean {
		return !this.#exited;
	}

	idleFor(ms: number, onIdleEnd: () => void): void {
		this.#idleTimer = setTimeout(onIdleEnd, ms);
		this.#idleTimer.unref();
	}

	wake(): void {
		clearTimeout(this.#idleTimer);
	}

	/** Ends the process now (SIGKILL: a process busy inflating a bomb does not listen to anything gentler). */
	kill(): void {
		this.wake();
		if (!this.#exited) this.child.kill("SIGKILL");
	}

	/** Asks an idle process to end (it exits when its channel closes). */
	dismiss(): void {
		this.wake();
		if (this.child.connected) this.child.disconnect();
	}

	/**
	 * Extracts one document. Settles with its outcome, or throws ExtractionLimitError when the
	 * process went over its memory ceiling or time limit (the process is then killed), or the
	 * signal's reason when aborted.
	 */
	run(task: ExtractionTask, options: ExtractionSandboxOptions, signal?: AbortSignal): Promise<ExtractionOutcome> {
		const child = this.child;
		return new Promise<ExtractionOutcome>((resolve, reject) => {
			let settled = false;
			const settle = (outcome: { ok: ExtractionOutcome } | { error: Error }, kill: boolean) => {
				if (settled) return;
				settled = true;
				clearInterval(watchdog);
				clearTimeout(deadline);
				signal?.removeEventListener("abort", onAbort);
				child.off("message", onMessage);
				child.off("exit", onExit);
				if (kill) this.kill();
				if ("ok" in outcome) resolve(outcome.ok);
				else reject(outcome.error);
			};
			const overMemory = () => new ExtractionLimitError("memory", `Extracting the text needed more than ${options.memoryMb} MB of memory; the document is too large or too complex`);
			const watchdog = setInterval(() => {
				const rss = child.pid === undefined ? undefined : residentMb(child.pid);
				if (rss !== undefined && rss > options.memoryMb) settle({ error: overMemory() }, true);
			}, WATCH_EVERY_MS);
			const deadline = setTimeout(() => {
				settle({ error: new ExtractionLimitError("time", `Extracting the text took longer than ${Math.round(options.timeLimitMs / 1000)} s; the document is too large or too complex`) }, true);
			}, options.timeLimitMs);
			const onAbort = () => settle({ error: signal!.reason instanceof Error ? signal!.reason : new Error("aborted") }, true);
			const onMessage = (reply: ExtractionReply) => {
				if ("outcome" in reply) settle({ ok: reply.outcome }, false);
				else settle({ error: new Error(`The extraction process failed: ${reply.failure}`) }, false);
			};
			const onExit = (code: number | null, exitSignal: NodeJS.Signals | null) => {
				// V8 aborts the process when its heap is full: that is the document's doing.
				if (exitSignal === "SIGABRT" || exitSignal === "SIGTRAP" || code === 134) settle({ error: overMemory() }, false);
				else settle({ error: new Error(`The extraction process exited unexpectedly (code ${code}, signal ${exitSignal})`) }, false);
			};
			if (signal?.aborted) return onAbort();
			signal?.addEventListener("abort", onAbort, { once: true });
			child.on("message", onMessage);
			child.once("exit", onExit);
			if (!this.alive) return onExit(child.exitCode, child.signalCode);
			child.send({ task } satisfies ExtractionRequest, err => {
				if (err) settle({ error: new Error(`The extraction process could not be reached: ${err.message}`) }, true);
			});
		});
	}
}

/**
 * Extraction in child processes: each parses one document at a time under a V8 heap limit and a
 * watchdog on its whole resident memory, so a file that inflates outside the heap (pdf.js and
 * JSZip decode into ArrayBuffers) costs only that process, which is killed past its share of the
 * budget. No process exists until the first extraction (the platform starts as fast as without
 * extraction), and an idle one exits. The platform's own memory never holds a parser.
 */
export class ExtractionSandbox {
	readonly #options: ExtractionSandboxOptions;
	readonly #idle: ExtractionProcess[] = [];
	readonly #waiting: Array<() => void> = [];
	#busy = 0;
	#closed = false;

	constructor(options: ExtractionSandboxOptions) {
		this.#options = options;
	}

	/**
	 * Extracts in an extraction process. `task.bytes` is copied there. A document that passes the
	 * memory ceiling in a process that had extracted others before is tried once more in a fresh
	 * process, so only the document's own appetite, never what an earlier one left, can fail it.
	 */
	async run(task: ExtractionTask, signal?: AbortSignal): Promise<ExtractionOutcome> {
		await this.#turn(signal);
		try {
			for (;;) {
				const worker = this.#take();
				try {
					const outcome = await worker.run(task, this.#options, signal);
					worker.documents++;
					this.#giveBack(worker);
					return outcome;
				} catch (err) {
					worker.kill();
					if (!(err instanceof ExtractionLimitError && err.limit === "memory") || worker.documents === 0) throw err;
				}
			}
		} finally {
			this.#busy--;
			this.#waiting.shift()?.();
		}
	}

	async close(): Promise<void> {
		this.#closed = true;
		for (const worker of this.#idle.splice(0)) worker.kill();
	}

	/** Waits for a free process slot (the job queue's concurrency normally guarantees one). */
	async #turn(signal?: AbortSignal): Promise<void> {
		if (this.#closed) throw new Error("The extraction sandbox is closed");
		while (this.#busy >= this.#options.processes) {
			await new Promise<void>((resolve, reject) => {
				const wake = () => {
					signal?.removeEventListener("abort", onAbort);
					resolve();
				};
				const onAbort = () => {
					this.#waiting.splice(this.#waiting.indexOf(wake), 1);
					reject(signal!.reason);
				};
				this.#waiting.push(wake);
				signal?.addEventListener("abort", onAbort, { once: true });
			});
		}
		this.#busy++;
	}

	#take(): ExtractionProcess {
		for (let worker = this.#idle.pop(); worker; worker = this.#idle.pop()) {
			worker.wake();
			if (worker.alive) return worker;
		}
		return new ExtractionProcess(this.#options);
	}

	/**
	 * An idle process is kept for the next document (pdf.js loaded, about 1 s saved) unless it
	 * still holds more than three quarters of its ceiling (glibc rarely returns a large document's
	 * memory): then a fresh one leaves the next document more room.
	 */
	#giveBack(worker: ExtractionProcess): void {
		const rss = worker.child.pid === undefined ? undefined : residentMb(worker.child.pid);
		if (this.#closed || !worker.alive || (rss !== undefined && rss > (this.#options.memoryMb * 3) / 4)) {
			worker.dismiss();
			return;
		}
		this.#idle.push(worker);
		worker.idleFor(this.#options.idleTimeoutMs, () => {
			const at = this.#idle.indexOf(worker);
			if (at >= 0) this.#idle.splice(at, 1);
			worker.dismiss();
		});
	}
}
