/**
 * What a client may name a model with, everywhere it can (`model`, `providers`, an analysis's
 * providers, a study's `space.model` and judge, aliases): `provider`, `provider:model` or an alias.
 * Model names end up in provider URL paths (Gemini's `/v1beta/models/<model>:generateContent`,
 * OpenAI-compatible servers' routes), so only letters, digits and `._:/-`, and no `.` or `..` path
 * segment: `%2e%2e/%2e%2e/v1beta/tunedModels/x` reached Gemini as POST /v1beta/tunedModels/x.
 */
export const MAX_MODEL_NAME_LENGTH = 256;

/** A segment (between `/` or `:`) that is not `.` or `..`, then more such segments. Linear: separators and segment characters are disjoint. */
const SEGMENT = "(?!\\.{1,2}(?:[/:]|$))[A-Za-z0-9._-]*";
export const MODEL_NAME_PATTERN = new RegExp(`^${SEGMENT}(?:[/:]${SEGMENT})*$`);

const EXPLANATION = "letters, digits and . _ : / - only, with no '.' or '..' path segment";

/** The fastest-validator rule of a model name; `{field}` makes the 422 name the parameter (`providers[1]`). */
export const modelNameParam = {
	type: "string",
	min: 1,
	max: MAX_MODEL_NAME_LENGTH,
	pattern: MODEL_NAME_PATTERN,
	messages: { stringPattern: `The '{field}' field must be a model name: ${EXPLANATION}` },
} as const;

/** The same rule for code that checks by hand (a study's definition, configuration): what is wrong, or undefined. */
export function modelNameProblem(name: string): string | undefined {
	if (name.length === 0) return "is empty";
	if (name.length > MAX_MODEL_NAME_LENGTH) return `is longer than ${MAX_MODEL_NAME_LENGTH} characters`;
	if (!MODEL_NAME_PATTERN.test(name)) return `is not a model name: ${EXPLANATION}`;
	return undefined;
}
