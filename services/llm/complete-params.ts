import { ANALYSIS_TASKS } from "../../shared/contracts/llm.ts";
import { modelNameParam } from "../../shared/validation/model-name.ts";

/** fastest-validator schemas of `llm.complete` (CompleteParams); a violation answers 422. */
const message = {
	type: "object",
	strict: "remove",
	props: { role: { type: "enum", values: ["system", "user", "assistant"] }, content: { type: "string", max: 1_000_000 } },
};

export const completionParamsSchema = {
	type: "object",
	optional: true,
	strict: "remove",
	props: {
		temperature: { type: "number", optional: true, min: 0, max: 2 },
		top_p: { type: "number", optional: true, min: 0, max: 1 },
		max_tokens: { type: "number", optional: true, integer: true, positive: true, max: 1_000_000 },
		stop: { type: "array", optional: true, items: { type: "string", min: 1, max: 200 }, max: 4 },
		sentences: { type: "number", optional: true, integer: true, positive: true, max: 100 },
		keywords: { type: "number", optional: true, integer: true, positive: true, max: 200 },
		promptVariant: { type: "string", optional: true, max: 100 },
	},
};

export const completeParamsSchema = {
	messages: { type: "array", optional: true, items: message, max: 500 },
	prompt: { type: "string", optional: true, max: 1_000_000 },
	system: { type: "string", optional: true, max: 100_000 },
	task: {
		type: "object",
		optional: true,
		strict: "remove",
		props: {
			types: { type: "array", items: { type: "enum", values: [...ANALYSIS_TASKS] }, min: 1, unique: true },
			input: { type: "string", max: 2_000_000 },
			question: { type: "string", optional: true, max: 10_000 },
		},
	},
	providers: { type: "array", optional: true, items: modelNameParam, max: 10 },
	model: { ...modelNameParam, optional: true },
	strategy: { type: "string", optional: true, min: 1, max: 100 },
	params: completionParamsSchema,
	profile: { type: "string", optional: true, min: 1, max: 200 },
	cache: { type: "boolean", optional: true },
	json: { type: "boolean", optional: true },
};
