import { Validators } from "moleculer";
import type { AnalysisData, AnalysisTaskType, Entity } from "../../../shared/contracts/llm.ts";

const ENTITY_TYPES: Entity["type"][] = ["email", "url", "date", "amount", "phone", "person", "organization", "place", "other"];
const strings = { type: "array", items: { type: "string", min: 1 } };
const num = { type: "number", finite: true };

/** The schema of each field of `AnalysisData`, keyed by the task that produces it. */
const FIELD_SCHEMAS: Record<AnalysisTaskType, [keyof AnalysisData, unknown]> = {
	summary: ["summary", { type: "string", min: 1 }],
	key_points: ["key_points", strings],
	keywords: ["keywords", strings],
	entities: ["entities", { type: "array", items: { type: "object", props: { type: { type: "enum", values: ENTITY_TYPES }, text: { type: "string", min: 1 }, offset: { type: "number", integer: true, min: 0, optional: true } } } }],
	sentiment: ["sentiment", { type: "object", props: { label: { type: "enum", values: ["positive", "negative", "neutral", "mixed"] }, score: num } }],
	topics: ["topics", strings],
	language: ["language", { type: "string", min: 1 }],
	readability: ["readability", { type: "object", props: { fleschReadingEase: num, gradeLevel: num } }],
	statistics: ["statistics", { type: "object", props: { characters: num, words: num, sentences: num, paragraphs: num } }],
	question: ["answer", { type: "string", min: 1 }],
};

const validator = new Validators.Fastest();
const checkers = new Map<string, (value: unknown) => true | { message?: string }[]>();

function checkerFor(tasks: AnalysisTaskType[]) {
	const key = tasks.join(",");
	let check = checkers.get(key);
	if (!check) {
		// Every requested field must be there; other fields are left as they are.
		const schema: Record<string, unknown> = {};
		for (const task of tasks) {
			const [field, fieldSchema] = FIELD_SCHEMAS[task];
			schema[field] = fieldSchema;
		}
		check = validator.compile(schema) as never;
		checkers.set(key, check!);
	}
	return check!;
}

/** Why the combined result does not match the schema of the requested tasks; empty when it does. */
export function resultProblems(data: AnalysisData, tasks: AnalysisTaskType[]): string[] {
	const outcome = checkerFor(tasks)(data);
	return outcome === true ? [] : outcome.map(problem => problem.message ?? "invalid field");
}
