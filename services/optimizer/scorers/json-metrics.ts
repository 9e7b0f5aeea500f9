import type { ValidateFunction } from "ajv";

const FENCE = "```";

/**
 * Models often wrap JSON in a Markdown code fence (``` or ```json on the first line, ``` at the
 * end); what is inside counts. Read by position, not by a pattern: the pattern this replaces,
 * `^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$`, retried its lazy body from every blank line,
 * and an output of 100,000 newlines took 26 s to score.
 */
function jsonText(output: string): string {
	const text = output.trim();
	const firstLineEnd = text.indexOf("\n");
	if (!text.startsWith(FENCE) || !text.endsWith(FENCE) || firstLineEnd < 0 || firstLineEnd > text.length - FENCE.length) return text;
	const info = text.slice(FENCE.length, firstLineEnd).trimEnd().toLowerCase();
	if (info !== "" && info !== "json") return text;
	return text.slice(firstLineEnd + 1, text.length - FENCE.length).trim();
}

/** The parsed JSON of an output, or undefined when it is not JSON. */
export function parseJsonOutput(output: string): { value: unknown } | undefined {
	try {
		return { value: JSON.parse(jsonText(output)) };
	} catch {
		return undefined;
	}
}

export function jsonValid(output: string): number {
	return parseJsonOutput(output) ? 1 : 0;
}

const loadAjv = () => import("ajv");
/** Ajv (about 16 MB once loaded) is loaded by the first study that checks a JSON Schema, not at start. */
let ajvModule: ReturnType<typeof loadAjv> | undefined;

/**
 * Compiles a JSON Schema (draft-07) with Ajv in strict mode, so a misspelt keyword is an error the
 * user sees when the study is created, not a schema that silently accepts everything.
 * Throws Error with Ajv's message when the schema is invalid.
 */
export async function compileJsonSchema(schema: object): Promise<ValidateFunction> {
	ajvModule ??= loadAjv();
	const { Ajv } = await ajvModule;
	return new Ajv({ allErrors: false, strict: true }).compile(schema);
}

/** 1 when the output is JSON that conforms to the compiled schema. */
export function jsonSchemaConformance(output: string, validate: ValidateFunction): number {
	const parsed = parseJsonOutput(output);
	return parsed && validate(parsed.value) ? 1 : 0;
}
