/**
 * Runs in an analyzer thread (analyzer-pool.ts): the offline analysis of one text, off the event
 * loop that answers every other request. Plain type-strippable TypeScript (Node 24 runs it as is;
 * `npm run build` emits .js beside it).
 */
import os from "node:os";
import type { AnalysisData, AnalysisTask } from "../../../../shared/contracts/llm.ts";
import { analyze, type Knobs } from "./analyzer.ts";

/**
 * Bulk work yields the CPU to requests: on a small instance (a fraction of a core) an analysis
 * thread at the same priority as the event loop still slows every answer. On Linux a nice value
 * belongs to a thread, and `setPriority(0, n)` sets the calling one: this thread only.
 */
try {
	os.setPriority(0, 10);
} catch {
	// Not permitted or not supported here: the thread runs at the process's priority.
}

export interface AnalyzerJob {
	task: AnalysisTask;
	knobs: Knobs;
}

export default function analyzeInThread(job: AnalyzerJob): Promise<AnalysisData> {
	return analyze(job.task, job.knobs);
}
