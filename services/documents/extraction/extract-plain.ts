import { decodeText } from "../text/decode-text.ts";
import { JSON_TYPE } from "../detection/formats.ts";
import { ExtractionError } from "./extraction-error.ts";

const { rawJSON } = JSON as unknown as { rawJSON(text: string): unknown };

/** Numbers keep their original digits (1e400 or a 20-digit id would not survive a double). */
function keepNumberAsWritten(_key: string, value: unknown, context?: { source?: string }): unknown {
	return typeof value === "number" && context?.source !== undefined ? rawJSON(context.source) : value;
}

/** No charset needs more than four bytes for a UTF-16 unit of text. */
const MAX_BYTES_PER_CHARACTER = 4;

/** How many bytes of a text file can yield `maxCharacters` of text: reading or decoding more is wasted. */
export function textByteLimit(maxCharacters: number): number {
	return maxCharacters * MAX_BYTES_PER_CHARACTER;
}

/** The start of a text file of `size` bytes that is worth decoding, and whether the file goes on. */
export function textPrefix(bytes: Uint8Array, size: number, maxCharacters: number): { bytes: Uint8Array; cut: boolean } {
	const limit = textByteLimit(maxCharacters);
	return { bytes: bytes.subarray(0, Math.min(bytes.length, limit)), cut: size > limit };
}

/**
 * Text formats decoded from their charset to UTF-8, never more of them than the character limit
 * can keep. Plain text, Markdown and CSV stay as written (already readable); JSON is re-indented,
 * since a minified file is one unreadable line (a JSON file cut at the limit stays as written).
 */
export async function extractPlain(bytes: Uint8Array, size: number, mimeType: string, charset: string, maxCharacters: number): Promise<{ text: string; truncated: boolean }> {
	const prefix = textPrefix(bytes, size, maxCharacters);
	let text: string;
	try {
		text = await decodeText(prefix.bytes, charset, { fatal: true, prefix: prefix.cut });
	} catch {
		throw new ExtractionError(`The text cannot be decoded as ${charset}; save it as UTF-8 and upload it again`);
	}
	if (mimeType !== JSON_TYPE || prefix.cut) return { text, truncated: prefix.cut };
	try {
		return { text: JSON.stringify(JSON.parse(text.replace(/^\uFEFF/, ""), keepNumberAsWritten as never), null, 2), truncated: false };
	} catch (err) {
		throw new ExtractionError(`The file is not valid JSON: ${(err as Error).message}`);
	}
}
