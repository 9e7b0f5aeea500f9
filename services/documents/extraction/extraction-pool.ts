import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Piscina } from "piscina";
import type { ExtractionOutcome, ExtractionTask } from "./extraction.worker.ts";

export interface ExtractionPoolOptions {
	threads: number;
	/** Old-generation heap of each worker thread. */
	heapMb: number;
	/** A job running longer is aborted (and its thread terminated). */
	timeLimitMs: number;
	/** An idle thread exits after this long, giving its memory back. */
	idleTimeoutMs: number;
}

/** Told about a thread that failed outside any job (piscina would otherwise throw it at the process). */
export type PoolErrorListener = (err: Error) => void;

/** Why a job ended without an outcome from the worker; the text is for the uploader. */
export class ExtractionLimitError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ExtractionLimitError";
	}
}

/**
 * The worker file sits beside this one: .ts when Node strips types from the sources (tests,
 * `node --run`), .js in the compiled dist/ that `npm start` runs.
 */
function workerFile(): string {
	const self = fileURLToPath(import.meta.url);
	return path.join(path.dirname(self), `extraction.worker${path.extname(self)}`);
}

/**
 * Parsing threads, created on the first extraction (piscina loaded then too), sized and limited
 * from the memory budget. A thread that exceeds its heap or time limit is terminated by piscina
 * and replaced on the next job; the main thread never parses untrusted bytes.
 */
export class ExtractionPool {
	readonly #options: ExtractionPoolOptions;
	readonly #onError: PoolErrorListener;
	#pool: Promise<Piscina> | undefined;

	constructor(options: ExtractionPoolOptions, onError: PoolErrorListener = () => {}) {
		this.#options = options;
		this.#onError = onError;
	}

	#get(): Promise<Piscina> {
		this.#pool ??= import("piscina").then(({ Piscina }) => {
			const pool = new Piscina({
				filename: workerFile(),
				minThreads: 0,
				maxThreads: this.#options.threads,
				idleTimeout: this.#options.idleTimeoutMs,
				// The database is the queue: a job is only claimed when a thread is free.
				maxQueue: this.#options.threads * 4,
				resourceLimits: { maxOldGenerationSizeMb: this.#options.heapMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(this.#options.heapMb / 8)) },
			});
			// A thread that dies with no job of its own (out of memory while idling) is reported on the pool;
			// unheard, that event would end the process. piscina replaces the thread either way.
			pool.on("error", (err: Error) => this.#onError(err));
			return pool;
		});
		return this.#pool;
	}

	/** Extracts in a worker thread. `task.bytes` is moved there, not copied: do not use it afterwards. */
	async run(task: ExtractionTask, signal?: AbortSignal): Promise<ExtractionOutcome> {
		const pool = await this.#get();
		const deadline = AbortSignal.timeout(this.#options.timeLimitMs);
		const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
		try {
			return await pool.run(task, { signal: abort, transferList: [task.bytes.buffer as ArrayBuffer] });
		} catch (err) {
			if (deadline.aborted) throw new ExtractionLimitError(`Extracting the text took longer than ${Math.round(this.#options.timeLimitMs / 1000)} s; the document is too large or too complex`);
			if ((err as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY") {
				throw new ExtractionLimitError(`Extracting the text needed more than ${this.#options.heapMb} MB of memory; the document is too large or too complex`);
			}
			throw err;
		}
	}

	async close(): Promise<void> {
		const pool = this.#pool;
		this.#pool = undefined;
		if (pool) await (await pool).destroy();
	}
}
