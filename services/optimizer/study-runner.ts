import type { LlmPrice } from "../../shared/config.ts";
import type { CompleteParams, CompleteResult } from "../../shared/contracts/llm.ts";
import { JobAbortedError, UnretryableJobError, type JobContext } from "../../shared/jobs/index.ts";
import { BudgetExhausted, BudgetTracker, type StopReason } from "./budget.ts";
import type { OptimizerModels, StudyRow, TrialRow } from "./models.ts";
import { weightedLosses } from "./objectives.ts";
import { ResultCache } from "./result-cache.ts";
import { createSampler } from "./samplers/create-sampler.ts";
import type { Observation } from "./samplers/sampler.ts";
import { createOutputScorer } from "./scorers/score-output.ts";
import { gridSize, spaceSize } from "./search-space.ts";
import type { StudyDefinition } from "./study/definition.ts";
import { evaluateTrial } from "./trial-evaluator.ts";

export interface StudyRunnerDeps {
	models: OptimizerModels;
	/** llm.complete as the study's owner, for as long as `signal` is not aborted. */
	completion(study: StudyRow, signal: AbortSignal): (request: CompleteParams) => Promise<CompleteResult>;
	priceOf(model: string): Promise<LlmPrice>;
	/** Called after each trial is stored (events, SSE). */
	onTrial(study: StudyRow, trial: TrialRow): void;
}

/** A study that failed this many trials in a row before any succeeded is going nowhere. */
const FAILURES_BEFORE_GIVING_UP = 3;

/** How many trials the study will run at most: its budget, or fewer when the space is smaller. */
export function plannedTrials(definition: StudyDefinition): number {
	const size = definition.sampler === "grid" ? gridSize(definition.dimensions) : spaceSize(definition.dimensions);
	return Math.min(definition.budget.maxTrials, size);
}

const FINISHED = new Set(["succeeded", "pruned"]);

/** What the sampler learns from: finished trials' weighted losses; failed trials as the worst. */
function observations(trials: TrialRow[], definition: StudyDefinition): Observation[] {
	const scored = trials.filter(t => FINISHED.has(t.status) && t.scores);
	const losses = weightedLosses(scored.map(t => t.scores!), definition.objectives);
	return trials
		.filter(t => t.status !== "running")
		.map(t => {
			const index = scored.indexOf(t);
			return { configuration: t.params, loss: index >= 0 ? losses[index] : null };
		});
}

/**
 * Runs (or resumes) one study as a durable job. Trials are sequential, each suggested from the ones
 * before it; the sampler is a pure function of the seed and history, and every paid call is in the
 * result cache, so a study resumed after a crash suggests the same trials and pays for nothing twice.
 */
export async function runStudy(study: StudyRow, context: JobContext, deps: StudyRunnerDeps): Promise<Record<string, unknown>> {
	const { models } = deps;
	const definition = study.definition;
	if (!study.firstStartedAt) {
		study.firstStartedAt = new Date();
		await models.Study.update({ firstStartedAt: study.firstStartedAt }, { where: { id: study.id } });
	}
	const budget = new BudgetTracker(definition.budget, { usd: study.spentUsd, calls: study.calls, wallStartedAt: study.firstStartedAt });
	const run = {
		studyId: study.id,
		definition,
		budget,
		cache: new ResultCache(models, study.userId),
		scorer: await createOutputScorer(definition.objectives),
		complete: deps.completion(study, context.signal),
		priceOf: deps.priceOf,
		signal: context.signal,
	};
	const sampler = createSampler(definition.sampler, { dimensions: definition.dimensions, seed: definition.seed, maxTrials: definition.budget.maxTrials });
	const total = plannedTrials(definition);
	const trials = await models.Trial.findAll({ where: { studyId: study.id }, order: [["number", "ASC"]] });

	// Set when an earlier attempt already ended the study on a budget and crashed before saying so.
	let stopReason: StopReason | undefined = study.stopReason ?? undefined;
	const lastError = () => trials.filter(t => t.status === "failed").at(-1)?.error;
	const finishedCount = () => trials.filter(t => t.status !== "running").length;
	await context.progress(finishedCount(), total);
	while (!stopReason) {
		context.signal.throwIfAborted();
		if (finishedCount() >= definition.budget.maxTrials) {
			stopReason = "maxTrials";
			break;
		}
		try {
			budget.checkTime();
		} catch (err) {
			if (!(err instanceof BudgetExhausted)) throw err;
			stopReason = err.reason;
			break;
		}
		// A trial left running by a crashed worker is evaluated again: its finished calls are cached.
		let trial = trials.find(t => t.status === "running");
		if (!trial) {
			const configuration = sampler.suggest(trials.length, observations(trials, definition));
			if (!configuration) {
				stopReason = "spaceExhausted";
				break;
			}
			trial = await models.Trial.create({ studyId: study.id, number: trials.length, params: configuration, status: "running" });
			trials.push(trial);
		}
		const comparable = trials.filter(t => FINISHED.has(t.status) && t.exampleScores).map(t => t.exampleScores!);
		let outcome;
		try {
			outcome = await evaluateTrial(run, trial.params, comparable);
		} catch (err) {
			const reason = context.signal.reason;
			if (reason instanceof JobAbortedError && reason.reason === "cancelled") {
				await trial.update({ status: "stopped", error: "The study was cancelled", finishedAt: new Date() });
			}
			throw err;
		}
		const { stopReason: budgetRanOut, ...result } = outcome;
		await trial.update({ ...result, finishedAt: new Date() });
		await context.progress(finishedCount(), total);
		deps.onTrial(study, trial);
		if (budgetRanOut) {
			stopReason = budgetRanOut;
			await models.Study.update({ stopReason }, { where: { id: study.id } });
		}
		const settled = trials.filter(t => t.status !== "running");
		if (settled.length >= FAILURES_BEFORE_GIVING_UP && settled.every(t => t.status === "failed")) {
			throw new UnretryableJobError(`The first ${settled.length} trials all failed; the last said: ${lastError()}`);
		}
	}

	if (trials.length > 0 && !trials.some(t => FINISHED.has(t.status)) && trials.some(t => t.status === "failed")) {
		throw new UnretryableJobError(`No trial succeeded; the last failure said: ${lastError()}`);
	}
	return { stopReason };
}
