import type { LlmPrice } from "../../shared/config.ts";
import { judgeRequest } from "./scorers/llm-judge.ts";
import type { Configuration } from "./search-space.ts";
import type { StudyDefinition } from "./study/definition.ts";
import { plannedTrials } from "./study-runner.ts";
import { callSettings, completionRequest, DEFAULT_MAX_TOKENS, maxCallCostUsd } from "./trial-request.ts";

export interface StudyEstimate {
	/** Provider calls the study makes at most (before any is found in the result cache). */
	calls: number;
	/** Worst-case USD: every call at its longest, trials spread evenly over the models; never above maxCostUsd. */
	costUsd: number;
	trials: number;
}

/** The configuration of a model with the most expensive settings the space allows. */
function costliestConfiguration(definition: StudyDefinition, model: string): Configuration {
	const configuration: Configuration = { model };
	const maxTokens = definition.dimensions.find(d => d.name === "max_tokens");
	if (maxTokens) configuration.max_tokens = maxTokens.kind === "numeric" ? maxTokens.max : Math.max(...(maxTokens.values as number[]));
	const variants = definition.dimensions.find(d => d.name === "promptVariant");
	if (variants?.kind === "categorical" && definition.task.variants) {
		const longest = (variants.values as string[]).reduce((a, b) => ((definition.task.variants![a] ?? "").length >= (definition.task.variants![b] ?? "").length ? a : b));
		configuration.promptVariant = longest;
	}
	return configuration;
}

/** A dry run: how many calls and how much money the study can take, before anything is spent. */
export async function estimateStudy(definition: StudyDefinition, priceOf: (model: string) => Promise<LlmPrice>): Promise<StudyEstimate> {
	const trials = plannedTrials(definition);
	const judges = definition.objectives.filter(o => o.metric === "judge");
	const callsPerTrial = definition.dataset.length * definition.repeats * (1 + judges.length);
	const calls = Math.min(trials * callsPerTrial, definition.budget.maxCalls ?? Infinity);
	const modelDimension = definition.dimensions.find(d => d.name === "model");
	const models = modelDimension?.kind === "categorical" ? (modelDimension.values as string[]) : ["local"];

	let costPerTrial = 0;
	for (const model of models) {
		const price = await priceOf(model);
		const paid = price.input > 0 || price.output > 0;
		const settings = callSettings(costliestConfiguration(definition, model), definition.params);
		for (const example of definition.dataset) {
			costPerTrial += definition.repeats * maxCallCostUsd(price, completionRequest(definition.task, settings, example, paid));
			for (const judge of judges) {
				const longestOutput = "x".repeat(4 * (settings.params.max_tokens ?? DEFAULT_MAX_TOKENS));
				costPerTrial += definition.repeats * maxCallCostUsd(await priceOf(judge.judge!), judgeRequest(judge, example, longestOutput));
			}
		}
	}
	costPerTrial /= models.length;
	const costUsd = Math.min(definition.budget.maxCostUsd, (calls / Math.max(1, callsPerTrial)) * costPerTrial);
	return { calls, costUsd: Number(costUsd.toFixed(6)), trials };
}
