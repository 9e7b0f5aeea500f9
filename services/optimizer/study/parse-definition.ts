import { randomInt } from "node:crypto";
import { invalidInput } from "../../../shared/errors.ts";
import { defaultStep, type Dimension, type ParamValue } from "../search-space.ts";
import { isMetricName, METRICS, METRIC_NAMES } from "../scorers/metrics.ts";
import { SAMPLER_NAMES, type SamplerName } from "../samplers/sampler.ts";
import type { Budget, EarlyStopping, Example, Objective, StudyDefinition, StudyTask } from "./definition.ts";
import { STUDY_DEFAULTS, STUDY_LIMITS as LIMITS } from "./limits.ts";
import { userRegexProblem } from "../scorers/user-regex.ts";
import { modelNameProblem } from "../../../shared/validation/model-name.ts";

/** Numeric parameters a study may search, with the range each accepts. */
const NUMERIC_PARAMS = {
	temperature: { min: 0, max: 2, int: false },
	top_p: { min: 0, max: 1, int: false },
	max_tokens: { min: 1, max: 32_768, int: true },
	/** The local analyzer's knobs; each tunes one task. */
	sentences: { min: 1, max: 50, int: true, task: "summary" },
	keywords: { min: 1, max: 100, int: true, task: "keywords" },
} as const;
type NumericParam = keyof typeof NUMERIC_PARAMS;
const CATEGORICAL_PARAMS = ["model", "promptVariant"] as const;
/** Dimension order is fixed, so the same study always enumerates configurations the same way. */
const PARAM_ORDER = [...CATEGORICAL_PARAMS, ...(Object.keys(NUMERIC_PARAMS) as NumericParam[])];

const TASK_TYPES = ["summary", "keywords", "prompt"] as const;
const MODEL_PATTERN = /^[a-z][a-z0-9_-]{0,39}(:[^\s:][^\s]{0,119})?$/i;
const INPUT_PLACEHOLDER = "{{input}}";

export interface ParseOptions {
	/**
	 * The llm service's providers (`llm.providers`). A model entry must name one that is configured;
	 * aliases are not searchable, since their cost is not one model's.
	 */
	providers: { name: string; configured: boolean }[];
	/** Reads the text of a document the caller owns; throws the documents service's error otherwise. */
	resolveDocument(documentId: string): Promise<string>;
	/** Checks a JSON Schema; throws with a readable message when it is not one. */
	checkJsonSchema(schema: object): Promise<void>;
}

type Raw = Record<string, unknown>;

/** Collects every problem of a definition, each with the path of the field it is about. */
class Problems {
	readonly list: string[] = [];
	add(path: string, message: string): void {
		this.list.push(`${path} ${message}`);
	}
}

const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const lengthOf = (s: string) => [...s].length;

function unknownKeys(problems: Problems, path: string, value: Raw, allowed: readonly string[]): void {
	for (const key of Object.keys(value)) {
		if (!allowed.includes(key)) problems.add(`${path}.${key}`, `is not a known field (expected one of ${allowed.join(", ")})`);
	}
}

function text(problems: Problems, path: string, value: unknown, maxChars: number, required = true): string | undefined {
	if (value === undefined && !required) return undefined;
	if (typeof value !== "string" || value.trim() === "") {
		problems.add(path, "must be a non-empty string");
		return undefined;
	}
	if (lengthOf(value) > maxChars) {
		problems.add(path, `is ${lengthOf(value)} characters long; at most ${maxChars} are allowed`);
		return undefined;
	}
	return value;
}

function stringList(problems: Problems, path: string, value: unknown, maxItems: number, maxChars: number): string[] | undefined {
	if (!Array.isArray(value) || value.length === 0) {
		problems.add(path, "must be a non-empty array of strings");
		return undefined;
	}
	if (value.length > maxItems) {
		problems.add(path, `has ${value.length} entries; at most ${maxItems} are allowed`);
		return undefined;
	}
	const items = value.map((item, i) => text(problems, `${path}[${i}]`, item, maxChars));
	if (items.some(i => i === undefined)) return undefined;
	const unique = new Set(items);
	if (unique.size !== items.length) problems.add(path, "lists the same value twice");
	return items as string[];
}

function parseTask(problems: Problems, value: unknown): StudyTask | undefined {
	if (!isObject(value)) {
		problems.add("task", `must be an object like { "type": "summary" }; type is one of ${TASK_TYPES.join(", ")}`);
		return undefined;
	}
	unknownKeys(problems, "task", value, ["type", "prompt", "variants", "system"]);
	if (!(TASK_TYPES as readonly unknown[]).includes(value.type)) {
		problems.add("task.type", `must be one of ${TASK_TYPES.join(", ")}`);
		return undefined;
	}
	const type = value.type as StudyTask["type"];
	if (type !== "prompt") {
		for (const key of ["prompt", "variants"]) {
			if (value[key] !== undefined) problems.add(`task.${key}`, `applies only to task type prompt (this task is ${type})`);
		}
		return { type };
	}
	const task: StudyTask = { type };
	const template = (path: string, raw: unknown) => {
		const prompt = text(problems, path, raw, LIMITS.maxPromptChars);
		if (prompt !== undefined && !prompt.includes(INPUT_PLACEHOLDER)) problems.add(path, `must contain ${INPUT_PLACEHOLDER} where the example's input goes`);
		return prompt;
	};
	task.prompt = template("task.prompt", value.prompt);
	if (value.variants !== undefined) {
		if (!isObject(value.variants) || Object.keys(value.variants).length === 0) {
			problems.add("task.variants", 'must be an object of named prompt templates, e.g. { "short": "Summarise briefly: {{input}}" }');
		} else if (Object.keys(value.variants).length > LIMITS.maxVariants) {
			problems.add("task.variants", `has ${Object.keys(value.variants).length} templates; at most ${LIMITS.maxVariants} are allowed`);
		} else {
			task.variants = {};
			for (const [name, raw] of Object.entries(value.variants)) {
				const prompt = template(`task.variants.${name}`, raw);
				if (prompt !== undefined) task.variants[name] = prompt;
			}
		}
	}
	task.system = text(problems, "task.system", value.system, LIMITS.maxPromptChars, false);
	return task;
}

interface DraftExample extends Omit<Example, "input"> {
	input?: string;
}

function parseDataset(problems: Problems, value: unknown): DraftExample[] | undefined {
	if (!Array.isArray(value) || value.length === 0) {
		problems.add("dataset", 'must be a non-empty array of examples like { "input": "...", "reference": "..." }');
		return undefined;
	}
	if (value.length > LIMITS.maxExamples) {
		problems.add("dataset", `has ${value.length} examples; at most ${LIMITS.maxExamples} are allowed`);
		return undefined;
	}
	return value.map((raw, i) => {
		const path = `dataset[${i}]`;
		if (!isObject(raw)) {
			problems.add(path, "must be an object");
			return {};
		}
		unknownKeys(problems, path, raw, ["input", "documentId", "reference", "keywords"]);
		const example: DraftExample = {};
		if ((raw.input === undefined) === (raw.documentId === undefined)) {
			problems.add(path, "must have exactly one of input (the text) or documentId (an uploaded document)");
		} else if (raw.input !== undefined) {
			example.input = text(problems, `${path}.input`, raw.input, LIMITS.maxInputChars);
		} else {
			example.documentId = text(problems, `${path}.documentId`, raw.documentId, 100);
		}
		if (raw.reference !== undefined) {
			if (typeof raw.reference !== "string") problems.add(`${path}.reference`, "must be a string");
			else if (lengthOf(raw.reference) > LIMITS.maxReferenceChars) problems.add(`${path}.reference`, `is longer than ${LIMITS.maxReferenceChars} characters`);
			else example.reference = raw.reference;
		}
		if (raw.keywords !== undefined) example.keywords = stringList(problems, `${path}.keywords`, raw.keywords, LIMITS.maxKeywords, LIMITS.maxTermChars);
		return example;
	});
}

function numericDimension(problems: Problems, name: NumericParam, value: unknown): Dimension | undefined {
	const path = `space.${name}`;
	const range = NUMERIC_PARAMS[name];
	const inRange = (v: number) => v >= range.min && v <= range.max && (!range.int || Number.isInteger(v));
	const rangeText = `${range.int ? "whole numbers" : "numbers"} from ${range.min} to ${range.max}`;
	if (Array.isArray(value)) {
		if (value.length === 0 || value.length > LIMITS.maxNumericValues) {
			problems.add(path, `must list 1 to ${LIMITS.maxNumericValues} values`);
			return undefined;
		}
		if (!value.every(v => isFiniteNumber(v) && inRange(v))) {
			problems.add(path, `values must be ${rangeText}`);
			return undefined;
		}
		if (new Set(value).size !== value.length) problems.add(path, "lists the same value twice");
		return { kind: "categorical", name, values: value as number[] };
	}
	if (!isObject(value)) {
		problems.add(path, `must be a range { "min": ${range.min}, "max": ${range.max} } or a list of values`);
		return undefined;
	}
	unknownKeys(problems, path, value, ["min", "max", "int", "step"]);
	const { min, max, step } = value;
	if (!isFiniteNumber(min) || !isFiniteNumber(max) || !inRange(min) || !inRange(max)) {
		problems.add(path, `min and max must be ${rangeText}`);
		return undefined;
	}
	if (min > max) {
		problems.add(path, `min (${min}) is greater than max (${max})`);
		return undefined;
	}
	if (value.int !== undefined && typeof value.int !== "boolean") problems.add(`${path}.int`, "must be true or false");
	if (range.int && value.int === false) problems.add(`${path}.int`, `cannot be false: ${name} takes whole numbers`);
	const int = range.int || value.int === true;
	if (int && (!Number.isInteger(min) || !Number.isInteger(max))) {
		problems.add(path, "min and max must be whole numbers when int is true");
		return undefined;
	}
	let quantum = int ? 1 : defaultStep(min, max);
	if (step !== undefined) {
		if (!isFiniteNumber(step) || step <= 0 || (int && !Number.isInteger(step)) || (max > min && step > max - min)) {
			problems.add(`${path}.step`, `must be a positive ${int ? "whole " : ""}number no larger than max - min`);
			return undefined;
		}
		if ((max - min) / step > 1_000_000) {
			problems.add(`${path}.step`, "splits the range into more than a million values");
			return undefined;
		}
		quantum = step;
	}
	return { kind: "numeric", name, min, max, step: quantum, int };
}

type ProviderList = ParseOptions["providers"];

function checkProvider(problems: Problems, path: string, entry: string, providers: ProviderList): void {
	const problem = modelNameProblem(entry);
	if (problem || !MODEL_PATTERN.test(entry)) {
		problems.add(path, `"${entry.slice(0, 80)}" ${problem ?? "is not a provider name or provider:model"}`);
		return;
	}
	const name = entry.split(":")[0];
	const provider = providers.find(p => p.name === name);
	if (!provider) problems.add(path, `names provider "${name}", which is not one of ${providers.map(p => p.name).join(", ")}`);
	else if (!provider.configured) problems.add(path, `names provider "${name}", which is not configured on this platform (its API key is not set)`);
}

function parseSpace(problems: Problems, value: unknown, task: StudyTask | undefined, providers: ProviderList): Dimension[] {
	if (value === undefined) value = {};
	if (!isObject(value)) {
		problems.add("space", 'must be an object, e.g. { "model": ["local"], "sentences": { "min": 1, "max": 8 } }');
		return [];
	}
	unknownKeys(problems, "space", value, PARAM_ORDER);
	const dimensions: Dimension[] = [];
	const models = value.model === undefined ? ["local"] : stringList(problems, "space.model", value.model, LIMITS.maxModels, 160);
	for (const [i, model] of (models ?? []).entries()) {
		checkProvider(problems, `space.model[${i}]`, model, providers);
		if (task?.type === "prompt" && model.split(":")[0] === "local") {
			problems.add(`space.model[${i}]`, "the local analyzer answers summary and keywords tasks, not free-form prompts");
		}
	}
	if (models) dimensions.push({ kind: "categorical", name: "model", values: models });
	if (value.promptVariant !== undefined) {
		const variants = stringList(problems, "space.promptVariant", value.promptVariant, LIMITS.maxVariants, 100);
		if (variants && task?.type === "prompt") {
			for (const variant of variants) {
				if (!task.variants || !Object.hasOwn(task.variants, variant)) problems.add("space.promptVariant", `names "${variant}", which task.variants does not define`);
			}
		}
		if (variants) dimensions.push({ kind: "categorical", name: "promptVariant", values: variants });
	}
	for (const name of Object.keys(NUMERIC_PARAMS) as NumericParam[]) {
		if (value[name] === undefined) continue;
		const onlyFor = (NUMERIC_PARAMS[name] as { task?: string }).task;
		if (onlyFor && task && task.type !== onlyFor) {
			problems.add(`space.${name}`, `tunes the local analyzer's ${onlyFor} task; this study's task is ${task.type}`);
			continue;
		}
		const dimension = numericDimension(problems, name, value[name]);
		if (dimension) dimensions.push(dimension);
	}
	return dimensions;
}

function parseFixedParams(problems: Problems, value: unknown, dimensions: Dimension[]): Record<string, ParamValue> {
	if (value === undefined) return {};
	if (!isObject(value)) {
		problems.add("params", 'must be an object of fixed parameters, e.g. { "max_tokens": 256 }');
		return {};
	}
	const params: Record<string, ParamValue> = {};
	for (const [name, raw] of Object.entries(value)) {
		if (!Object.hasOwn(NUMERIC_PARAMS, name)) {
			problems.add(`params.${name}`, `is not a parameter (expected one of ${Object.keys(NUMERIC_PARAMS).join(", ")})`);
			continue;
		}
		const range = NUMERIC_PARAMS[name as NumericParam];
		if (!isFiniteNumber(raw) || raw < range.min || raw > range.max || (range.int && !Number.isInteger(raw))) {
			problems.add(`params.${name}`, `must be a ${range.int ? "whole " : ""}number from ${range.min} to ${range.max}`);
			continue;
		}
		if (dimensions.some(d => d.name === name)) problems.add(`params.${name}`, "is also a dimension of space; give it in one place");
		params[name] = raw;
	}
	return params;
}

function objectiveOptions(problems: Problems, path: string, raw: Raw, objective: Objective, dataset: DraftExample[] | undefined, providers: ProviderList): void {
	const needs = METRICS[objective.metric].needs;
	if (needs === "reference" && dataset?.some(e => e.reference === undefined)) {
		const missing = dataset.findIndex(e => e.reference === undefined);
		problems.add(path, `uses ${objective.metric}, which compares with a reference, but dataset[${missing}] has no reference`);
	}
	if (needs === "terms") {
		if (raw.terms !== undefined) objective.terms = stringList(problems, `${path}.terms`, raw.terms, LIMITS.maxKeywords, LIMITS.maxTermChars);
		else if (dataset?.some(e => e.keywords === undefined)) {
			problems.add(path, `uses ${objective.metric}: give terms here, or keywords in every dataset example (dataset[${dataset.findIndex(e => e.keywords === undefined)}] has none)`);
		}
	}
	if (needs === "pattern") {
		objective.pattern = text(problems, `${path}.pattern`, raw.pattern, LIMITS.maxPatternChars);
		if (raw.flags !== undefined && (typeof raw.flags !== "string" || !/^[imsu]{0,4}$/.test(raw.flags) || new Set(raw.flags).size !== raw.flags.length)) {
			problems.add(`${path}.flags`, "may only combine the regular expression flags i, m, s and u");
		} else if (raw.flags !== undefined) objective.flags = raw.flags as string;
	}
	if (needs === "schema") {
		if (!isObject(raw.schema)) problems.add(`${path}.schema`, "must be a JSON Schema object");
		else if (JSON.stringify(raw.schema).length > LIMITS.maxSchemaChars) problems.add(`${path}.schema`, `is larger than ${LIMITS.maxSchemaChars} characters`);
		else objective.schema = raw.schema;
	}
	if (needs === "bounds") {
		for (const key of ["min", "max"] as const) {
			if (raw[key] === undefined) continue;
			if (!isFiniteNumber(raw[key]) || !Number.isInteger(raw[key]) || raw[key] < 0) problems.add(`${path}.${key}`, "must be a whole number of 0 or more");
			else objective[key] = raw[key];
		}
		if (objective.min === undefined && objective.max === undefined) problems.add(path, "lengthWithin needs min, max or both");
		if (objective.min !== undefined && objective.max !== undefined && objective.min > objective.max) problems.add(path, `min (${objective.min}) is greater than max (${objective.max})`);
		if (raw.unit !== undefined && raw.unit !== "words" && raw.unit !== "chars") problems.add(`${path}.unit`, "must be words or chars");
		objective.unit = raw.unit === "chars" ? "chars" : "words";
	}
	if (needs === "judge") {
		objective.judge = text(problems, `${path}.judge`, raw.judge, 160);
		if (objective.judge !== undefined) checkProvider(problems, `${path}.judge`, objective.judge, providers);
		if (objective.judge?.split(":")[0] === "local") problems.add(`${path}.judge`, "must be a chat model; the local analyzer cannot grade");
		objective.criteria = text(problems, `${path}.criteria`, raw.criteria, 2_000, false);
	}
	if (objective.metric === "exactMatch" && raw.caseSensitive !== undefined) {
		if (typeof raw.caseSensitive !== "boolean") problems.add(`${path}.caseSensitive`, "must be true or false");
		else objective.caseSensitive = raw.caseSensitive;
	}
}

const OBJECTIVE_KEYS = ["name", "metric", "direction", "weight", "pattern", "flags", "terms", "schema", "min", "max", "unit", "caseSensitive", "judge", "criteria"];

function parseObjectives(problems: Problems, value: unknown, dataset: DraftExample[] | undefined, providers: ProviderList): Objective[] {
	if (!Array.isArray(value) || value.length === 0) {
		problems.add("objectives", 'must be a non-empty array like [{ "metric": "rougeL", "direction": "maximize" }]');
		return [];
	}
	if (value.length > LIMITS.maxObjectives) {
		problems.add("objectives", `has ${value.length} entries; at most ${LIMITS.maxObjectives} are allowed`);
		return [];
	}
	const objectives: Objective[] = [];
	value.forEach((raw, i) => {
		const path = `objectives[${i}]`;
		if (!isObject(raw)) {
			problems.add(path, "must be an object");
			return;
		}
		if (!isMetricName(raw.metric)) {
			problems.add(`${path}.metric`, `must be one of ${METRIC_NAMES.join(", ")}`);
			return;
		}
		unknownKeys(problems, path, raw, OBJECTIVE_KEYS);
		const metric = raw.metric;
		if (raw.direction !== undefined && raw.direction !== "maximize" && raw.direction !== "minimize") {
			problems.add(`${path}.direction`, "must be maximize or minimize");
		}
		if (raw.weight !== undefined && (!isFiniteNumber(raw.weight) || raw.weight <= 0 || raw.weight > 1000)) {
			problems.add(`${path}.weight`, "must be a number above 0 and at most 1000");
		}
		const name = raw.name === undefined ? metric : text(problems, `${path}.name`, raw.name, 60);
		if (name !== undefined && (name === "costUsd" || name === "latencyMs") && metric !== name) {
			problems.add(`${path}.name`, `cannot be ${name}: every trial reports that score itself`);
		}
		const objective: Objective = {
			name: name ?? metric,
			metric,
			direction: raw.direction === "minimize" || raw.direction === "maximize" ? raw.direction : METRICS[metric].direction,
			weight: isFiniteNumber(raw.weight) ? raw.weight : 1,
		};
		objectiveOptions(problems, path, raw, objective, dataset, providers);
		objectives.push(objective);
	});
	const names = objectives.map(o => o.name);
	const repeated = names.find((n, i) => names.indexOf(n) !== i);
	if (repeated) problems.add("objectives", `score "${repeated}" twice; give one of them a distinct name`);
	return objectives;
}

/** A number within [min, max] (or (min, max] with aboveMin); undefined, with a problem noted, otherwise. */
function numberIn(problems: Problems, path: string, value: unknown, { int, min, max, aboveMin = false }: { int: boolean; min: number; max: number; aboveMin?: boolean }): number | undefined {
	if (value === undefined) return undefined;
	if (!isFiniteNumber(value) || value < min || (aboveMin && value === min) || value > max || (int && !Number.isInteger(value))) {
		problems.add(path, `must be a ${int ? "whole " : ""}number ${aboveMin ? "above" : "from"} ${min} ${aboveMin ? "and at most" : "to"} ${max}`);
		return undefined;
	}
	return value;
}

function parseBudget(problems: Problems, value: unknown): Partial<Budget> {
	if (value === undefined) return {};
	if (!isObject(value)) {
		problems.add("budget", 'must be an object, e.g. { "maxTrials": 20, "maxCostUsd": 0.5 }');
		return {};
	}
	unknownKeys(problems, "budget", value, ["maxTrials", "maxCostUsd", "maxCalls", "maxWallSeconds"]);
	return {
		maxTrials: numberIn(problems, "budget.maxTrials", value.maxTrials, { int: true, min: 1, max: LIMITS.maxTrials }),
		maxCostUsd: numberIn(problems, "budget.maxCostUsd", value.maxCostUsd, { int: false, min: 0, max: LIMITS.maxCostUsd }),
		maxCalls: numberIn(problems, "budget.maxCalls", value.maxCalls, { int: true, min: 1, max: LIMITS.maxPlannedCalls }),
		maxWallSeconds: numberIn(problems, "budget.maxWallSeconds", value.maxWallSeconds, { int: true, min: 1, max: LIMITS.maxWallSeconds }),
	};
}

function parseEarlyStopping(problems: Problems, value: unknown, examples: number): EarlyStopping {
	const defaults: EarlyStopping = {
		enabled: examples >= 4,
		afterExamples: Math.max(1, Math.floor(examples / 4)),
		margin: STUDY_DEFAULTS.earlyStoppingMargin,
		minTrials: STUDY_DEFAULTS.earlyStoppingMinTrials,
	};
	if (value === undefined) return defaults;
	if (typeof value === "boolean") return { ...defaults, enabled: value && examples >= 2 };
	if (!isObject(value)) {
		problems.add("earlyStopping", 'must be true, false or { "afterExamples": 2, "margin": 0.25 }');
		return defaults;
	}
	unknownKeys(problems, "earlyStopping", value, ["enabled", "afterExamples", "margin", "minTrials"]);
	if (value.enabled !== undefined && typeof value.enabled !== "boolean") problems.add("earlyStopping.enabled", "must be true or false");
	const afterExamples = numberIn(problems, "earlyStopping.afterExamples", value.afterExamples, { int: true, min: 1, max: LIMITS.maxExamples });
	if (afterExamples !== undefined && afterExamples >= examples) {
		problems.add("earlyStopping.afterExamples", `must be less than the number of examples (${examples})`);
	}
	return {
		enabled: value.enabled !== false,
		afterExamples: afterExamples ?? defaults.afterExamples,
		margin: numberIn(problems, "earlyStopping.margin", value.margin, { int: false, min: 0, max: 1, aboveMin: true }) ?? defaults.margin,
		minTrials: numberIn(problems, "earlyStopping.minTrials", value.minTrials, { int: true, min: 1, max: LIMITS.maxTrials }) ?? defaults.minTrials,
	};
}

const STUDY_KEYS = ["name", "task", "dataset", "space", "params", "objectives", "sampler", "budget", "repeats", "seed", "earlyStopping", "dryRun"];

function fail(problems: Problems): never {
	const shown = problems.list.slice(0, 5).join("; ");
	const more = problems.list.length > 5 ? ` (and ${problems.list.length - 5} more)` : "";
	throw invalidInput(`Invalid study: ${shown}${more}`, { problems: problems.list });
}

/**
 * Turns a study as posted into a StudyDefinition, or throws 422 VALIDATION_ERROR naming every
 * problem with the path of its field. Documents named by id are read here, so a study never starts
 * on a dataset that cannot be read.
 */
export async function parseStudyDefinition(raw: unknown, options: ParseOptions): Promise<StudyDefinition> {
	const problems = new Problems();
	if (!isObject(raw)) {
		problems.add("study", "must be a JSON object");
		fail(problems);
	}
	unknownKeys(problems, "study", raw, STUDY_KEYS);
	const name = raw.name === undefined ? "study" : text(problems, "name", raw.name, 100);
	const task = parseTask(problems, raw.task);
	const draft = parseDataset(problems, raw.dataset);
	const dimensions = parseSpace(problems, raw.space, task, options.providers);
	const params = parseFixedParams(problems, raw.params, dimensions);
	const objectives = parseObjectives(problems, raw.objectives, draft, options.providers);
	for (const [i, objective] of objectives.entries()) {
		const problem = objective.pattern === undefined ? undefined : await userRegexProblem(objective.pattern, objective.flags);
		if (problem) problems.add(`objectives[${i}].pattern`, problem);
	}
	if (raw.sampler !== undefined && !(SAMPLER_NAMES as readonly unknown[]).includes(raw.sampler)) {
		problems.add("sampler", `must be one of ${SAMPLER_NAMES.join(", ")}`);
	}
	const budget = parseBudget(problems, raw.budget);
	const repeats = numberIn(problems, "repeats", raw.repeats, { int: true, min: 1, max: LIMITS.maxRepeats }) ?? STUDY_DEFAULTS.repeats;
	if (raw.seed !== undefined && (!Number.isSafeInteger(raw.seed) || (raw.seed as number) < 0)) problems.add("seed", "must be a whole number of 0 or more");
	if (raw.dryRun !== undefined && typeof raw.dryRun !== "boolean") problems.add("dryRun", "must be true or false");
	const earlyStopping = parseEarlyStopping(problems, raw.earlyStopping, draft?.length ?? 0);
	const maxTrials = budget.maxTrials ?? STUDY_DEFAULTS.maxTrials;
	const plannedCalls = maxTrials * (draft?.length ?? 0) * repeats;
	if (plannedCalls > LIMITS.maxPlannedCalls) {
		problems.add("budget.maxTrials", `x examples x repeats is ${plannedCalls} calls; at most ${LIMITS.maxPlannedCalls} are allowed`);
	}
	if (problems.list.length > 0) fail(problems);

	for (const [i, objective] of objectives.entries()) {
		if (!objective.schema) continue;
		try {
			await options.checkJsonSchema(objective.schema);
		} catch (err) {
			problems.add(`objectives[${i}].schema`, `is not a valid JSON Schema: ${(err as Error).message}`);
		}
	}
	const dataset = await resolveDataset(problems, draft!, options);
	if (problems.list.length > 0) fail(problems);

	return {
		name: name!,
		task: task!,
		dataset,
		dimensions,
		params,
		objectives,
		sampler: (raw.sampler as SamplerName | undefined) ?? STUDY_DEFAULTS.sampler,
		budget: {
			maxTrials,
			maxCostUsd: budget.maxCostUsd ?? STUDY_DEFAULTS.maxCostUsd,
			maxCalls: budget.maxCalls,
			maxWallSeconds: budget.maxWallSeconds ?? STUDY_DEFAULTS.maxWallSeconds,
		},
		repeats,
		seed: (raw.seed as number | undefined) ?? randomInt(0, 2 ** 31),
		earlyStopping,
	};
}

async function resolveDataset(problems: Problems, draft: DraftExample[], options: ParseOptions): Promise<Example[]> {
	const dataset: Example[] = [];
	let totalChars = 0;
	for (const [i, example] of draft.entries()) {
		let input = example.input;
		if (example.documentId !== undefined) {
			try {
				input = await options.resolveDocument(example.documentId);
			} catch (err) {
				problems.add(`dataset[${i}].documentId`, `cannot be used: ${(err as Error).message}`);
				continue;
			}
			if (input.trim() === "") problems.add(`dataset[${i}].documentId`, "names a document without text");
			else if (lengthOf(input) > LIMITS.maxInputChars) {
				problems.add(`dataset[${i}].documentId`, `names a document of ${lengthOf(input)} characters; an example may have at most ${LIMITS.maxInputChars}`);
			}
		}
		totalChars += input?.length ?? 0;
		dataset.push({ ...example, input: input ?? "" });
	}
	if (totalChars > LIMITS.maxDatasetChars) problems.add("dataset", `holds ${totalChars} characters of input; at most ${LIMITS.maxDatasetChars} are allowed`);
	return dataset;
}
