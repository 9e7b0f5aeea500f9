/**
 * Runs in an analyzer thread (analyzer-pool.ts): the offline analysis of one text, off the event
 * loop that answers every other request. Plain type-strippable TypeScript (Node 24 runs it as is;
 * `npm run build` emits .js beside it).
 */
import type { AnalysisData, AnalysisTask } from "../../../../shared/contracts/llm.ts";
import { analyze, type Knobs } from "./analyzer.ts";

export interface AnalyzerJob {
	task: AnalysisTask;
	knobs: Knobs;
}

export default function analyzeInThread(job: AnalyzerJob): Promise<AnalysisData> {
	return analyze(job.task, job.knobs);
}
