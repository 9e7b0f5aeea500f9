import type { Dimension, ParamValue } from "../search-space.ts";
import type { Direction, MetricName } from "../scorers/metrics.ts";
import type { SamplerName } from "../samplers/sampler.ts";

/** What a study asks of each example: one of the llm service's analysis tasks, or a prompt of the user's. */
export interface StudyTask {
	type: "summary" | "keywords" | "prompt";
	/** type prompt: the template, `{{input}}` marks where the example goes. */
	prompt?: string;
	/** type prompt: named alternative templates that the `promptVariant` dimension chooses between. */
	variants?: Record<string, string>;
	system?: string;
}

export interface Example {
	input: string;
	reference?: string;
	/** Terms containsAll / containsAny look for, when the objective names none. */
	keywords?: string[];
	/** Where the input came from, when the dataset named a document instead of giving text. */
	documentId?: string;
}

export interface Objective {
	/** Key of this objective in every `scores` object; the metric's name unless given. */
	name: string;
	metric: MetricName;
	direction: Direction;
	weight: number;
	pattern?: string;
	flags?: string;
	terms?: string[];
	schema?: object;
	min?: number;
	max?: number;
	unit?: "words" | "chars";
	caseSensitive?: boolean;
	/** metric judge: the `provider:model` that grades, and what it grades on. */
	judge?: string;
	criteria?: string;
}

export interface Budget {
	maxTrials: number;
	maxCostUsd: number;
	/** Provider calls (cached results are free and not counted); undefined: only the other limits apply. */
	maxCalls?: number;
	maxWallSeconds: number;
}

export interface EarlyStopping {
	enabled: boolean;
	/** A trial is compared with the others after this many examples. */
	afterExamples: number;
	/** How much worse than the median (in the objectives' normalised units, 0..1) counts as clearly worse. */
	margin: number;
	/** Finished trials needed before any trial is pruned. */
	minTrials: number;
}

/** A validated, normalised study: what the runner executes and what is stored. */
export interface StudyDefinition {
	name: string;
	task: StudyTask;
	dataset: Example[];
	dimensions: Dimension[];
	/** Parameters every trial uses unless a dimension sets them. */
	params: Record<string, ParamValue>;
	objectives: Objective[];
	sampler: SamplerName;
	budget: Budget;
	repeats: number;
	seed: number;
	earlyStopping: EarlyStopping;
}
