import { CSV, HTML, JSON_TYPE, MARKDOWN, PLAIN_TEXT, type SupportedMimeType } from "./formats.ts";

const HTML_START = /^(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i;
const HTML_TAGS = /<(?:html|head|body|div|p|span|table|h[1-6]|ul|ol|li|a\s+href|br|meta|title|section|article)[\s>/]/gi;

function looksLikeHtml(text: string): boolean {
	if (HTML_START.test(text)) return true;
	return text.startsWith("<") && (text.match(HTML_TAGS)?.length ?? 0) >= 3;
}

function looksLikeJson(text: string, complete: boolean): boolean {
	if (!/^[[{]/.test(text)) return false;
	if (complete) {
		try {
			JSON.parse(text);
			return true;
		} catch {
			return false;
		}
	}
	// Only the start of a large file is here: an object opening with a key, or an array of values.
	return /^\{\s*(?:"|\})/.test(text) || /^\[\s*(?:[[{"\d\-\]]|true|false|null)/.test(text);
}

/** Counts delimiters outside double-quoted fields. */
function countOutsideQuotes(line: string, delimiter: string): number {
	let count = 0;
	let quoted = false;
	for (const ch of line) {
		if (ch === '"') quoted = !quoted;
		else if (ch === delimiter && !quoted) count++;
	}
	return count;
}

function looksLikeCsv(lines: string[]): boolean {
	// Two lines with one comma each are as likely prose; a table needs a few rows.
	if (lines.length < 3) return false;
	return [",", ";", "\t"].some(delimiter => {
		const first = countOutsideQuotes(lines[0], delimiter);
		return first > 0 && lines.every(line => countOutsideQuotes(line, delimiter) === first);
	});
}

const MARKDOWN_SIGNALS: RegExp[] = [
	/^#{1,6}\s+\S/m, // heading
	/^\s*(?:[-*+]|\d+\.)\s+\S/m, // list item
	/\[[^\]\n]+\]\([^)\s]+\)/, // link
	/(?:\*\*|__)[^*_\n]+(?:\*\*|__)/, // strong emphasis
	/^```/m, // fenced code
	/^>\s/m, // block quote
	/^\s*[-*_]{3,}\s*$/m, // thematic break
	/^\|.*\|\s*$/m, // table row
];

function looksLikeMarkdown(text: string): boolean {
	const signals = MARKDOWN_SIGNALS.filter(signal => signal.test(text)).length;
	return signals >= 3 || (signals >= 2 && MARKDOWN_SIGNALS[0].test(text));
}

/**
 * Which text format a decoded sample is, for files whose name does not say: HTML, JSON, CSV and
 * Markdown by their shape, plain text otherwise. `complete` says the sample is the whole file.
 */
export function sniffTextKind(sample: string, complete: boolean): SupportedMimeType {
	const text = sample.replace(/^\uFEFF/, "").trimStart();
	if (looksLikeHtml(text)) return HTML;
	if (looksLikeJson(text.trimEnd(), complete)) return JSON_TYPE;
	const lines = text.split(/\r?\n/);
	// The last line of a partial sample may be cut off; leave it out.
	if (!complete && lines.length > 1) lines.pop();
	const nonEmpty = lines.filter(line => line.trim() !== "").slice(0, 20);
	if (looksLikeCsv(nonEmpty)) return CSV;
	if (looksLikeMarkdown(text)) return MARKDOWN;
	return PLAIN_TEXT;
}
