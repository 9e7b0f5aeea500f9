/**
 * Moleculer params schemas of the optimizer's actions. Creating a study has none on purpose: a study
 * is a nested document whose problems parse-definition.ts names one by one with their paths, where
 * a params schema could only answer "Parameters validation error!".
 */
import { listLimitParam, listOffsetParam } from "../../shared/validation/pagination.ts";
import { STUDY_LIMITS } from "./study/limits.ts";

export const byIdParams = { id: { type: "string", min: 1, max: 64 } } as const;

/** Profile names travel in URLs and in `profile` fields of other requests: plain and short. */
export const profileNameParam = { type: "string", max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, messages: { stringPattern: "A profile name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit" } } as const;

export const applyParams = {
	...byIdParams,
	profile: profileNameParam,
	/** A trial of the Pareto front to save instead of the best one (its `trial` number). */
	trial: { type: "number", integer: true, min: 0, max: STUDY_LIMITS.maxTrials, optional: true },
} as const;

export const listParams = {
	limit: listLimitParam,
	offset: listOffsetParam,
} as const;
