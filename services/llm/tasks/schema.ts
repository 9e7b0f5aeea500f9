import type { AnalysisData, AnalysisTask, AnalysisTaskType } from "../../../shared/contracts/llm.ts";

/**
 * The JSON Schema of an analysis answer: what a chat model is shown in the prompt and what its
 * answer is checked against. One object with exactly the requested fields.
 */

export type JsonSchema = Record<string, unknown>;

/** The field of AnalysisData each analysis fills; "question" is answered in `answer`. */
export const TASK_FIELDS: Record<AnalysisTaskType, keyof AnalysisData> = {
	summary: "summary",
	key_points: "key_points",
	keywords: "keywords",
	entities: "entities",
	sentiment: "sentiment",
	topics: "topics",
	language: "language",
	readability: "readability",
	statistics: "statistics",
	question: "answer",
};

const ENTITY_TYPES = ["email", "url", "date", "amount", "phone", "person", "organization", "place", "other"];
const SENTIMENT_LABELS = ["positive", "negative", "neutral", "mixed"];

const stringList = (maxItems: number, maxLength: number): JsonSchema => ({
	type: "array",
	maxItems,
	items: { type: "string", minLength: 1, maxLength },
});
const count: JsonSchema = { type: "integer", minimum: 0 };

const FIELD_SCHEMAS: Record<keyof AnalysisData, JsonSchema> = {
	summary: { type: "string", minLength: 1, maxLength: 20000 },
	key_points: stringList(20, 1000),
	keywords: stringList(50, 100),
	entities: {
		type: "array",
		maxItems: 500,
		items: {
			type: "object",
			additionalProperties: false,
			required: ["type", "text"],
			properties: {
				type: { enum: ENTITY_TYPES },
				text: { type: "string", minLength: 1, maxLength: 300 },
				offset: { type: "integer", minimum: 0 },
			},
		},
	},
	sentiment: {
		type: "object",
		additionalProperties: false,
		required: ["label", "score"],
		properties: { label: { enum: SENTIMENT_LABELS }, score: { type: "number", minimum: -1, maximum: 1 } },
	},
	topics: stringList(20, 100),
	language: { type: "string", pattern: "^(?:[a-z]{2,3}|und)$" },
	readability: {
		type: "object",
		additionalProperties: false,
		required: ["fleschReadingEase", "gradeLevel"],
		properties: {
			fleschReadingEase: { type: "number", minimum: -200, maximum: 130 },
			gradeLevel: { type: "number", minimum: 0, maximum: 40 },
		},
	},
	statistics: {
		type: "object",
		additionalProperties: false,
		required: ["characters", "words", "sentences", "paragraphs"],
		properties: { characters: count, words: count, sentences: count, paragraphs: count },
	},
	answer: { type: "string", minLength: 1, maxLength: 10000 },
};

/** Every field of an analysis, none required: the shape of `data` in any analysis result. */
export const ANALYSIS_DATA_SCHEMA: JsonSchema = {
	$schema: "https://json-schema.org/draft/2020-12/schema",
	title: "AnalysisData",
	type: "object",
	additionalProperties: false,
	properties: FIELD_SCHEMAS,
};

/** The fields a task asks for, in the order it names them, without repeats. */
export function taskFields(task: AnalysisTask): (keyof AnalysisData)[] {
	return [...new Set(task.types.map(type => TASK_FIELDS[type]).filter(Boolean))];
}

/** The schema of the answer to one task: exactly its fields, all required. */
export function taskJsonSchema(task: AnalysisTask): JsonSchema {
	const fields = taskFields(task);
	return {
		$schema: "https://json-schema.org/draft/2020-12/schema",
		type: "object",
		additionalProperties: false,
		required: fields,
		properties: Object.fromEntries(fields.map(field => [field, FIELD_SCHEMAS[field]])),
	};
}
