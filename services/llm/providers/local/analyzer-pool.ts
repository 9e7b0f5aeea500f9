import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Piscina } from "piscina";
import type { AnalyzerSettings } from "../../../../shared/config.ts";
import type { AnalysisData } from "../../../../shared/contracts/llm.ts";
import type { AnalyzerJob } from "./analyzer.worker.ts";

/** An idle analyzer thread exits after this long, giving its memory (word lists, heap) back. */
const IDLE_TIMEOUT_MS = 30_000;

/** The thread's code sits beside this file: .ts when Node strips types from the sources, .js in dist/. */
function workerFile(): string {
	const self = fileURLToPath(import.meta.url);
	return path.join(path.dirname(self), `analyzer.worker${path.extname(self)}`);
}

/** A task that outgrew its thread's heap; the thread is gone and replaced on the next task. */
export class AnalyzerMemoryError extends Error {
	constructor(heapMb: number) {
		super(`the text needs more than ${heapMb} MB to analyse offline; send a shorter text`);
		this.name = "AnalyzerMemoryError";
	}
}

/**
 * The offline analyzer's threads (piscina), sized from the budget (ANALYZER_THREADS,
 * ANALYZER_HEAP_MB). Its analyses are CPU work of up to seconds on a long text: on the event
 * loop, eight of them made another user's API answers wait 6.6 s. Created on the first analysis
 * (piscina loaded then too); idle threads exit. Tasks beyond the threads wait in piscina's queue,
 * which needs no bound of its own: the caller's bulkhead (LLM_PROVIDER_CONCURRENCY) bounds them.
 */
export class AnalyzerPool {
	readonly #settings: AnalyzerSettings;
	#pool: Promise<Piscina> | undefined;

	constructor(settings: AnalyzerSettings) {
		this.#settings = settings;
	}

	#get(): Promise<Piscina> {
		this.#pool ??= import("piscina").then(({ Piscina }) => {
			const heapMb = this.#settings.heapMb;
			const pool = new Piscina({
				filename: workerFile(),
				minThreads: 0,
				maxThreads: this.#settings.threads,
				idleTimeout: IDLE_TIMEOUT_MS,
				resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(heapMb / 8)) },
			});
			// A thread that dies outside a task would otherwise be thrown at the process; piscina replaces it.
			pool.on("error", () => {});
			return pool;
		});
		return this.#pool;
	}

	/** Analyses in a thread; an abort ends the task (and its thread, if it had started). */
	async run(job: AnalyzerJob, signal?: AbortSignal): Promise<AnalysisData> {
		const pool = await this.#get();
		try {
			return await pool.run(job, { signal });
		} catch (err) {
			if ((err as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY") throw new AnalyzerMemoryError(this.#settings.heapMb);
			throw err;
		}
	}

	async close(): Promise<void> {
		const pool = this.#pool;
		this.#pool = undefined;
		if (pool) await (await pool).destroy();
	}
}
