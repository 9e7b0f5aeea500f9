/**
 * Parameter schemas (fastest-validator) of the analyses actions. A failure answers 422
 * VALIDATION_ERROR before the action runs; names of tasks, strategies and providers are checked
 * by options.ts, which can say what the choices are.
 */
import { listLimitParam, listOffsetParam } from "../../../shared/validation/pagination.ts";
import { modelNameParam } from "../../../shared/validation/model-name.ts";

const idParam = { type: "string", min: 1, max: 64 } as const;

/** The LLM settings an analysis may carry; anything else is refused rather than silently ignored. */
const completionParams = {
	type: "object",
	optional: true,
	strict: true,
	props: {
		temperature: { type: "number", min: 0, max: 2, optional: true },
		top_p: { type: "number", min: 0, max: 1, optional: true },
		max_tokens: { type: "number", integer: true, min: 1, max: 200_000, optional: true },
		stop: { type: "array", items: { type: "string", min: 1, max: 100 }, max: 4, optional: true },
		sentences: { type: "number", integer: true, min: 1, max: 50, optional: true },
		keywords: { type: "number", integer: true, min: 1, max: 100, optional: true },
		promptVariant: { type: "string", min: 1, max: 64, optional: true },
	},
} as const;

export const createParams = {
	// A misspelt option (`provider`, `task`) is an error, not a silently different analysis.
	$$strict: true,
	id: idParam,
	providers: { type: "array", items: modelNameParam, min: 1, max: 8, optional: true },
	strategy: { type: "string", min: 1, max: 32, optional: true },
	tasks: { type: "array", items: { type: "string", min: 1, max: 32 }, min: 1, max: 10, optional: true },
	question: { type: "string", min: 1, max: 2_000, optional: true },
	params: completionParams,
	profile: { type: "string", min: 1, max: 128, optional: true },
	refresh: { type: "boolean", optional: true },
} as const;

export const byIdParams = { id: idParam } as const;

export const listParams = {
	id: idParam,
	limit: listLimitParam,
	offset: listOffsetParam,
} as const;
