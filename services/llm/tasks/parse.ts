import { Validator, type OutputUnit } from "@cfworker/json-schema";
import type { AnalysisData, AnalysisTask, Entity } from "../../../shared/contracts/llm.ts";
import { taskFields, taskJsonSchema } from "./schema.ts";

/**
 * Reads a chat model's analysis answer: finds the JSON object even inside code fences or after a
 * sentence of prose, keeps only the requested fields, and checks them against the task's schema.
 * A failure says what is wrong in words the model can act on when asked to repair its answer.
 *
 * @cfworker/json-schema validates without generating code; it costs about a tenth of Ajv's memory,
 * and it loads synchronously, as this parser must.
 */

export type ParseResult = { ok: true; data: AnalysisData } | { ok: false; error: string };

const FENCED = /```[\w-]*\s*\n?([\s\S]*?)```/gu;
/** Where JSON might start; an answer with more candidates than this is not worth scanning further. */
const MAX_CANDIDATES = 20;
const MAX_REPORTED_ERRORS = 5;
/** Errors that only say "something below failed"; the error below says what. */
const WRAPPER_KEYWORDS = new Set(["properties", "items", "prefixItems", "additionalProperties", "allOf", "$ref"]);

/** The end of the balanced {...} starting at `start`, skipping braces inside strings. */
function objectEnd(text: string, start: number): number {
	let depth = 0;
	let inString = false;
	for (let i = start; i < text.length; i++) {
		const char = text[i];
		if (inString) {
			if (char === "\\") i++;
			else if (char === '"') inString = false;
		} else if (char === '"') inString = true;
		else if (char === "{") depth++;
		else if (char === "}" && --depth === 0) return i + 1;
	}
	return -1;
}

function parseObject(candidate: string): Record<string, unknown> | undefined {
	try {
		const value: unknown = JSON.parse(candidate);
		return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
	} catch {
		return undefined;
	}
}

function extractObject(text: string): { value: Record<string, unknown> } | { error: string } {
	const whole = parseObject(text.trim());
	if (whole) return { value: whole };
	for (const [, body] of text.matchAll(FENCED)) {
		const fenced = parseObject(body.trim());
		if (fenced) return { value: fenced };
	}
	let start = text.indexOf("{");
	let firstError: string | undefined;
	for (let tried = 0; start >= 0 && tried < MAX_CANDIDATES; tried++) {
		const end = objectEnd(text, start);
		if (end < 0) {
			firstError ??= "the JSON object is not closed (the answer may have been cut off)";
			break;
		}
		const candidate = text.slice(start, end);
		const value = parseObject(candidate);
		if (value) return { value };
		try {
			JSON.parse(candidate);
		} catch (err) {
			firstError ??= `the JSON object is malformed: ${(err as Error).message}`;
		}
		start = text.indexOf("{", start + 1);
	}
	return { error: firstError ?? "the answer contains no JSON object" };
}

/** "#/entities/0/type" as "entities[0].type". */
function fieldPath(location: string): string {
	const parts = location.replace(/^#\/?/u, "").split("/").filter(Boolean);
	if (parts.length === 0) return "the answer";
	return parts.reduce((path, part) => (/^\d+$/u.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

function describe(errors: OutputUnit[]): string {
	const messages: string[] = [];
	for (const error of errors) {
		if (WRAPPER_KEYWORDS.has(error.keyword)) continue;
		const missing = error.keyword === "required" ? /required property "([^"]+)"/u.exec(error.error)?.[1] : undefined;
		if (error.keyword === "false") {
			const parts = error.instanceLocation.split("/");
			messages.push(`${fieldPath(parts.slice(0, -1).join("/"))}: unexpected field "${parts[parts.length - 1]}"`);
		} else if (missing) {
			messages.push(`${fieldPath(error.instanceLocation)}: missing field "${missing}"`);
		} else {
			messages.push(`${fieldPath(error.instanceLocation)}: ${error.error.replace(/\.$/u, "")}`);
		}
	}
	const unique = [...new Set(messages)];
	const more = unique.length > MAX_REPORTED_ERRORS ? ` (and ${unique.length - MAX_REPORTED_ERRORS} more)` : "";
	return unique.slice(0, MAX_REPORTED_ERRORS).join("; ") + more;
}

/** Models guess offsets; one that does not point at the entity's text is corrected or dropped. */
function fixOffsets(entities: Entity[], input: string): Entity[] {
	return entities.map(entity => {
		if (entity.offset !== undefined && input.startsWith(entity.text, entity.offset)) return entity;
		const { offset: _wrong, ...rest } = entity;
		const found = input.indexOf(entity.text);
		return found >= 0 ? { ...rest, offset: found } : rest;
	});
}

const validators = new Map<string, Validator>();

function validatorFor(task: AnalysisTask): Validator {
	const key = [...taskFields(task)].sort().join(",");
	let validator = validators.get(key);
	if (!validator) {
		validator = new Validator(taskJsonSchema(task), "2020-12", false);
		validators.set(key, validator);
	}
	return validator;
}

export function parseTaskOutput(task: AnalysisTask, text: string): ParseResult {
	const extracted = extractObject(text);
	if ("error" in extracted) return { ok: false, error: extracted.error };
	const fields = taskFields(task);
	// Fields nobody asked for are dropped, not held against the answer.
	const answer = Object.fromEntries(fields.filter(field => field in extracted.value).map(field => [field, extracted.value[field]]));
	const result = validatorFor(task).validate(answer);
	if (!result.valid) return { ok: false, error: describe(result.errors) };
	const data = answer as AnalysisData;
	if (data.entities) data.entities = fixOffsets(data.entities, task.input);
	return { ok: true, data };
}
