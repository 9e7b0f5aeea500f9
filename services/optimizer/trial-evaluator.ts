import { Errors } from "moleculer";
import type { LlmPrice } from "../../shared/config.ts";
import type { CompleteParams, CompleteResult } from "../../shared/contracts/llm.ts";
import { BudgetExhausted, type BudgetTracker, type StopReason } from "./budget.ts";
import { meanScores, type Scores } from "./objectives.ts";
import { shouldPrune } from "./pruner.ts";
import { resultKey, type CachedResult, type ResultCache } from "./result-cache.ts";
import { judgeRequest, parseGrade } from "./scorers/llm-judge.ts";
import type { OutputScorer } from "./scorers/score-output.ts";
import type { Configuration } from "./search-space.ts";
import type { Example, StudyDefinition } from "./study/definition.ts";
import { callSettings, completionRequest, maxCallCostUsd, outputOf } from "./trial-request.ts";
import type { TrialStatus } from "./models.ts";

/** Everything a trial needs from the running study. */
export interface StudyRun {
	studyId: string;
	definition: StudyDefinition;
	budget: BudgetTracker;
	cache: ResultCache;
	scorer: OutputScorer;
	/** llm.complete on the study owner's behalf. */
	complete(request: CompleteParams): Promise<CompleteResult>;
	priceOf(model: string): Promise<LlmPrice>;
	signal: AbortSignal;
}

export interface TrialOutcome {
	status: Exclude<TrialStatus, "running">;
	scores: Scores | null;
	/** Scores of each evaluated example (mean over repeats), in dataset order. */
	exampleScores: Scores[];
	costUsd: number;
	calls: number;
	cachedCalls: number;
	error?: string;
	/** Set when a budget ran out during this trial: the study ends. */
	stopReason?: StopReason;
}

/** Examples evaluated at once: enough to hide a paid model's latency, few enough to stay inside its rate limits. */
const EXAMPLE_CONCURRENCY = 4;

/** The configuration cannot be evaluated (the provider refused or failed the call): the trial fails, the study goes on. */
class CallFailed extends Error {}

/** Client errors of the llm service (bad model name, unsupported task) fail the trial; anything else is retried with the job. */
function callFailure(err: unknown): CallFailed | undefined {
	if (err instanceof Errors.MoleculerClientError) return new CallFailed(err.message);
	return undefined;
}

/**
 * Evaluates one configuration over the dataset: every example `repeats` times, each call read from
 * the result cache when it was made before and paid for (within the budget) when not; stops early
 * when the first examples already show the configuration clearly worse than the median.
 */
export async function evaluateTrial(run: StudyRun, configuration: Configuration, finishedExampleScores: Scores[][]): Promise<TrialOutcome> {
	const { definition } = run;
	const settings = callSettings(configuration, definition.params);
	const outcome: TrialOutcome = { status: "succeeded", scores: null, exampleScores: [], costUsd: 0, calls: 0, cachedCalls: 0 };

	const call = async (request: CompleteParams, repeat: number, price: LlmPrice, output: (result: CompleteResult) => string): Promise<CachedResult> => {
		run.signal.throwIfAborted();
		const key = resultKey(request, repeat);
		const cached = await run.cache.get(key);
		if (cached) {
			outcome.cachedCalls++;
			return cached;
		}
		const reserved = maxCallCostUsd(price, request);
		run.budget.reserve(reserved);
		let costUsd = 0;
		let called = false;
		try {
			let result: CompleteResult;
			try {
				result = await run.complete(request);
			} catch (err) {
				throw callFailure(err) ?? err;
			}
			const first = result.results[0];
			costUsd = result.costUsd;
			called = !result.cached;
			if (first?.error) {
				await run.cache.record({ studyId: run.studyId, costUsd, called });
				throw new CallFailed(`${first.provider}:${first.model} failed: ${first.error.message}`);
			}
			const fresh = { output: output(result), costUsd: first?.costUsd ?? costUsd, latencyMs: first?.latencyMs ?? result.latencyMs };
			await run.cache.record({ studyId: run.studyId, costUsd, called }, { key, result: fresh });
			return fresh;
		} finally {
			run.budget.settle(reserved, costUsd, called);
			outcome.costUsd += costUsd;
			if (called) outcome.calls++;
		}
	};

	const price = await run.priceOf(settings.model);
	const paid = price.input > 0 || price.output > 0;
	const judges = definition.objectives.filter(o => o.metric === "judge");
	const judgePrices = await Promise.all(judges.map(o => run.priceOf(o.judge!)));

	const evaluateExample = async (example: Example): Promise<Scores> => {
		const perRepeat: Scores[] = [];
		for (let repeat = 0; repeat < definition.repeats; repeat++) {
			const request = completionRequest(definition.task, settings, example, paid);
			// Repeats measure variation: each must reach the provider, not the llm service's cache.
			if (definition.repeats > 1) request.cache = false;
			const record = await call(request, repeat, price, result => outputOf(definition.task, result));
			const judge: Record<string, number> = {};
			for (const [i, objective] of judges.entries()) {
				const graded = await call(judgeRequest(objective, example, record.output), 0, judgePrices[i], result => result.output);
				judge[objective.name] = parseGrade(graded.output);
			}
			perRepeat.push(await run.scorer({ ...record, judge }, example));
		}
		return meanScores(perRepeat);
	};

	const evaluateRange = async (from: number, to: number) => {
		for (let start = from; start < to; start += EXAMPLE_CONCURRENCY) {
			const indices = Array.from({ length: Math.min(EXAMPLE_CONCURRENCY, to - start) }, (_, i) => start + i);
			const settled = await Promise.allSettled(indices.map(i => evaluateExample(definition.dataset[i])));
			settled.forEach((s, i) => {
				if (s.status === "fulfilled") outcome.exampleScores[indices[i]] = s.value;
			});
			const failure = settled.find(s => s.status === "rejected");
			if (failure) throw failure.reason;
		}
	};

	const examples = definition.dataset.length;
	const checkpoint = definition.earlyStopping.enabled ? Math.min(definition.earlyStopping.afterExamples, examples) : examples;
	try {
		await evaluateRange(0, checkpoint);
		if (checkpoint < examples && shouldPrune(outcome.exampleScores, finishedExampleScores, definition.objectives, definition.earlyStopping)) {
			outcome.status = "pruned";
		} else {
			await evaluateRange(checkpoint, examples);
		}
	} catch (err) {
		if (err instanceof BudgetExhausted) {
			outcome.status = "stopped";
			outcome.stopReason = err.reason;
			outcome.error = `Stopped: ${err.message}`;
		} else if (err instanceof CallFailed) {
			outcome.status = "failed";
			outcome.error = err.message;
		} else {
			throw err;
		}
	}
	outcome.exampleScores = outcome.exampleScores.filter(Boolean);
	outcome.scores = outcome.exampleScores.length > 0 ? meanScores(outcome.exampleScores) : null;
	return outcome;
}
