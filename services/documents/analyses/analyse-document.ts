import type { DocumentText } from "../../../shared/contracts/documents.ts";
import type { Usage } from "../../../shared/contracts/llm.ts";
import type { JobContext } from "../../../shared/jobs/index.ts";
import { JobWaitError, UNREACHABLE_ERROR_TYPES, UnretryableJobError } from "../../../shared/jobs/index.ts";
import { batchBudget, batchChunks } from "./batches.ts";
import { buildConsensus } from "./consensus.ts";
import type { AnalysisRow } from "./models.ts";
import type { AnalysisStrategy, ProviderAnalysis } from "./types.ts";
import { runProvider, type Complete, type ProgressTracker } from "./provider-run.ts";
import { runStrategy } from "./strategies.ts";

export interface AnalysisDependencies {
	/** The document's text and chunks (`documents.text`), read as the analysis's owner. */
	documentText(documentId: string, userId: string): Promise<DocumentText>;
	/** `llm.complete` on behalf of the analysis's owner. */
	complete(userId: string): Complete;
	/** Tells listeners (the SSE streams) that the analysis moved on. */
	progressed(analysis: AnalysisRow, done: number, total: number): void;
}

/**
 * Counts LLM calls done out of expected, storing the figure as it changes; while one write is in
 * flight, later steps only update the counters, so writes never pile up or land out of order.
 */
function trackProgress(analysis: AnalysisRow, context: JobContext, dependencies: AnalysisDependencies): ProgressTracker & { settled(): Promise<void>; total(): number } {
	let done = 0;
	let total = 0;
	let writing: Promise<void> = Promise.resolve();
	let queued = false;
	const store = () => {
		if (queued) return;
		queued = true;
		writing = writing.then(async () => {
			queued = false;
			await context.progress(done, total);
			dependencies.progressed(analysis, done, total);
		});
	};
	return {
		expect(steps) {
			total += steps;
			store();
		},
		step() {
			done++;
			store();
		},
		settled: () => writing,
		total: () => total,
	};
}

function sumUsage(usages: Usage[]): Usage {
	return usages.reduce((sum, u) => ({ inputTokens: sum.inputTokens + u.inputTokens, outputTokens: sum.outputTokens + u.outputTokens }), { inputTokens: 0, outputTokens: 0 });
}

/**
 * A provider whose calls never reached the llm service says nothing about that provider: rather
 * than storing the outage as its result, the whole analysis waits for llm to come back (its calls
 * that did finish are then answered from the llm result cache, not paid again). Strategies that
 * keep every provider's result wait for any such provider; fallback and race only when none succeeded.
 */
function outageIn(results: ProviderAnalysis[], strategy: AnalysisStrategy): string | null {
	if (!results.some(r => r.error && UNREACHABLE_ERROR_TYPES.has(r.error.type))) return null;
	const keepsEveryResult = strategy !== "fallback" && strategy !== "race";
	return keepsEveryResult || results.every(r => r.error) ? "llm.complete is not reachable" : null;
}

async function loadDocument(analysis: AnalysisRow, dependencies: AnalysisDependencies): Promise<DocumentText> {
	try {
		return await dependencies.documentText(analysis.documentId, analysis.userId);
	} catch (err) {
		if ((err as { code?: number }).code === 404) throw new UnretryableJobError("The document was deleted before it could be analysed", { cause: err });
		throw err;
	}
}

/**
 * The analyses job: reads the document, runs each provider's map-reduce by the strategy, and
 * returns what the job stores with its success: every provider's result side by side, the
 * consensus, and the totals. Fails (and is retried) only when no provider succeeded.
 */
export async function analyseDocument(analysis: AnalysisRow, context: JobContext, dependencies: AnalysisDependencies) {
	const document = await loadDocument(analysis, dependencies);
	const { providers, strategy, tasks, question, params } = analysis.options;
	const batchesOf = new Map(providers.map(provider => [provider, batchChunks(document, batchBudget(provider))]));
	if ([...batchesOf.values()].every(batches => batches.length === 0)) throw new UnretryableJobError("The document has no text to analyse");

	const progress = trackProgress(analysis, context, dependencies);
	const complete = dependencies.complete(analysis.userId);
	const results = await runStrategy(
		strategy,
		providers,
		(provider, signal) => runProvider({ provider, tasks, question, params, batches: batchesOf.get(provider)!, complete, progress, signal }),
		context.signal
	);
	await progress.settled();
	const outage = outageIn(results, strategy);
	if (outage) throw new JobWaitError(outage);
	if (results.every(r => r.error)) {
		throw new Error(`Every provider failed: ${results.map(r => `${r.provider}: ${r.error!.message}`).join("; ")}`);
	}
	const total = progress.total();
	return {
		results,
		consensus: buildConsensus(results) ?? null,
		usage: sumUsage(results.map(r => r.usage)),
		costUsd: Number(results.reduce((sum, r) => sum + r.costUsd, 0).toFixed(6)),
		progress: { done: total, total },
	};
}
