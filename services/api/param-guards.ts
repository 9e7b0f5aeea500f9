import { invalidInput } from "../../shared/errors.ts";

/** Deeper than any request of ours nests (a study definition is the deepest, at about 6). */
const MAX_DEPTH = 32;

type Problem = { type: "stringNul" | "objectTooDeep"; field: string; message: string };

function findProblem(value: unknown, path: string, depth: number): Problem | undefined {
	const field = path || "the request";
	if (typeof value === "string") {
		return value.includes("\u0000") ? { type: "stringNul", field, message: `\`${field}\` contains a NUL character (U+0000), which no field accepts` } : undefined;
	}
	if (value === null || typeof value !== "object") return undefined;
	if (depth >= MAX_DEPTH) return { type: "objectTooDeep", field, message: `\`${field}\` is nested deeper than ${MAX_DEPTH} levels, which no field needs` };
	for (const [key, item] of Object.entries(value)) {
		if (key.includes("\u0000")) return { type: "stringNul", field, message: `A key in \`${field}\` contains a NUL character (U+0000)` };
		const problem = findProblem(item, path ? `${path}.${key}` : key, depth + 1);
		if (problem) return problem;
	}
	return undefined;
}

/**
 * Refuses, once at the gateway and for every route, request parameters that no field of ours
 * means and that would fail further in with a 500 instead of a clear answer:
 * - a NUL character (U+0000): PostgreSQL text cannot hold it, and through SQLite it cuts the query short;
 * - nesting deeper than 32 levels: JSON.parse takes thousands, but sending such params to another
 *   node over NATS overflows JSON.stringify's stack.
 * The 422 has the validator's own shape (`details`), so a client reads every refusal one way.
 */
export function guardParams(params: unknown): void {
	const problem = findProblem(params, "", 0);
	if (problem) throw invalidInput(problem.message, [problem]);
}
