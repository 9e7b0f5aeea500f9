import type { ValidateFunction } from "ajv";
import type { Scores } from "../objectives.ts";
import type { Example, Objective } from "../study/definition.ts";
import { compileJsonSchema, jsonSchemaConformance, jsonValid } from "./json-metrics.ts";
import { rougeScore } from "./rouge.ts";
import { compileUserRegex } from "./user-regex.ts";
import { bleu, containsAll, containsAny, exactMatch, lengthWithin, levenshteinSimilarity, regexMatch } from "./text-metrics.ts";

/** What one evaluated call contributes besides its text. */
export interface CallRecord {
	output: string;
	costUsd: number;
	latencyMs: number;
	/** The judge's grade in [0, 1], when an objective asks for one. */
	judge?: Record<string, number>;
}

export type OutputScorer = (record: CallRecord, example: Example) => Promise<Scores>;

type MetricScorer = (record: CallRecord, example: Example) => number | Promise<number>;

async function metricScorer(objective: Objective): Promise<MetricScorer> {
	const reference = (example: Example) => example.reference ?? "";
	const terms = (example: Example) => objective.terms ?? example.keywords ?? [];
	switch (objective.metric) {
		case "exactMatch":
			return (r, e) => exactMatch(r.output, reference(e), objective.caseSensitive);
		case "regex": {
			const pattern = await compileUserRegex(objective.pattern!, objective.flags);
			return r => regexMatch(r.output, pattern);
		}
		case "containsAll":
			return (r, e) => containsAll(r.output, terms(e));
		case "containsAny":
			return (r, e) => containsAny(r.output, terms(e));
		case "jsonValid":
			return r => jsonValid(r.output);
		case "jsonSchema": {
			const validate: ValidateFunction = await compileJsonSchema(objective.schema!);
			return r => jsonSchemaConformance(r.output, validate);
		}
		case "lengthWithin":
			return r => lengthWithin(r.output, { min: objective.min, max: objective.max, unit: objective.unit ?? "words" });
		case "rouge1":
		case "rouge2":
		case "rougeL": {
			const variant = objective.metric;
			return (r, e) => rougeScore(variant, r.output, reference(e));
		}
		case "bleu":
			return (r, e) => bleu(r.output, reference(e));
		case "levenshtein":
			return (r, e) => levenshteinSimilarity(r.output, reference(e));
		case "judge":
			return r => r.judge?.[objective.name] ?? 0;
		case "costUsd":
			return r => r.costUsd;
		case "latencyMs":
			return r => r.latencyMs;
	}
}

/**
 * Compiles the study's objectives once (regular expressions, JSON Schemas, ROUGE's library) into one
 * function that scores a call: every objective by its name, plus costUsd and latencyMs always.
 */
export async function createOutputScorer(objectives: Objective[]): Promise<OutputScorer> {
	const scorers = await Promise.all(objectives.map(async o => ({ name: o.name, score: await metricScorer(o) })));
	return async (record, example) => {
		const scores: Scores = { costUsd: record.costUsd, latencyMs: record.latencyMs };
		for (const { name, score } of scorers) scores[name] = await score(record, example);
		return scores;
	};
}
