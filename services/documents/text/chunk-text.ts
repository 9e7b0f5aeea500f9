import { estimateTokens } from "./estimate-tokens.ts";

export interface ChunkOptions {
	/** Upper bound of a chunk's estimated tokens, overlap included. */
	maxTokens: number;
	/** Estimated tokens a chunk repeats from the end of the previous one in the same section. */
	overlapTokens: number;
}

/** A chunk as stored: its place in the text; the chunk's text is `text.slice(start, end)`. */
export interface ChunkBoundary {
	start: number;
	end: number;
	tokenEstimate: number;
	heading: string | null;
}

interface Span {
	start: number;
	end: number;
	/** Which section (text between two headings) the span is in. */
	section: number;
	heading: string | null;
}

/**
 * A Markdown heading line; its closing hashes and spaces are cut in code (headingText), because
 * a lazy `(.+?)[ \t#]*$` rescans the line's tail from each of its characters: quadratic, seconds
 * for one 40 KB line of " #".
 */
const HEADING_LINE = /^(#{1,6})[ \t]+(\S[^\n]*)$/gm;

const SEPARATORS = [
	/\n[ \t]*\n/g, // paragraphs
	/\n/g, // lines
	// The look-behind starts a sentence end only where a run of punctuation starts: a run with no
	// space after it is then scanned once, not once per character (a 1 MB run of dots: minutes).
	/(?<![.!?\u3002\uff01\uff1f])[.!?\u3002\uff01\uff1f]+["'\u201d\u2019)\]]*\s+|[\u3002\uff01\uff1f]/g, // sentences
	/\s+/g, // words
];

/** A heading's text without the closing `#`s and spaces Markdown allows; its first character always stays. */
function headingText(line: string): string {
	let end = line.length;
	while (end > 1 && " \t#".includes(line[end - 1])) end--;
	return line.slice(0, end).trim();
}

function tokensOf(text: string, start: number, end: number): number {
	return estimateTokens(text.slice(start, end));
}

function isHighSurrogate(code: number): boolean {
	return code >= 0xd800 && code <= 0xdbff;
}

/** [start, end) without the whitespace at either end. */
function trimmed(text: string, start: number, end: number): [number, number] {
	while (start < end && /\s/.test(text[start])) start++;
	while (end > start && /\s/.test(text[end - 1])) end--;
	return [start, end];
}

/** The text cut at its Markdown-style headings (HTML and DOCX text has them too, see html-to-text.ts). */
function sections(text: string): Span[] {
	const result: Span[] = [];
	let from = 0;
	let heading: string | null = null;
	const push = (to: number) => {
		const [start, end] = trimmed(text, from, to);
		if (end > start) result.push({ start, end, section: result.length, heading });
	};
	for (const match of text.matchAll(HEADING_LINE)) {
		push(match.index);
		from = match.index;
		heading = headingText(match[2]);
	}
	push(text.length);
	return result;
}

/** Sub-spans of `span` between matches of `separator`, each without surrounding whitespace. */
function splitBy(text: string, span: Span, separator: RegExp): Span[] {
	const parts: Span[] = [];
	const push = (from: number, to: number) => {
		const [start, end] = trimmed(text, from, to);
		if (end > start) parts.push({ ...span, start, end });
	};
	let from = span.start;
	separator.lastIndex = span.start;
	for (let match = separator.exec(text); match && match.index < span.end; match = separator.exec(text)) {
		const cut = Math.min(span.end, match.index + match[0].length);
		push(from, cut);
		from = cut;
	}
	push(from, span.end);
	return parts;
}

/** Fixed cuts for a run with no separator in it (a base64 blob, a long URL). */
function fixedCuts(text: string, span: Span, maxTokens: number): Span[] {
	const result: Span[] = [];
	const step = Math.max(1, Math.floor(((span.end - span.start) * maxTokens) / tokensOf(text, span.start, span.end)));
	for (let start = span.start; start < span.end; ) {
		let end = Math.min(span.end, start + step);
		while (end - start > 1 && tokensOf(text, start, end) > maxTokens) end--;
		if (end < span.end && isHighSurrogate(text.charCodeAt(end - 1))) end++;
		result.push({ ...span, start, end });
		start = end;
	}
	return result;
}

/** Spans of at most `maxTokens`: paragraphs, else lines, sentences, words, else fixed cuts. */
function pieces(text: string, span: Span, maxTokens: number, level = 0): Span[] {
	if (tokensOf(text, span.start, span.end) <= maxTokens) return [span];
	if (level >= SEPARATORS.length) return fixedCuts(text, span, maxTokens);
	return splitBy(text, span, SEPARATORS[level]).flatMap(part => pieces(text, part, maxTokens, level + 1));
}

/**
 * Where the next chunk starts so that it repeats about `overlapTokens` before `previous.end`:
 * at a word start, after `previous.start`, and never making the chunk ending at `end` too long.
 */
function overlapStart(text: string, previous: Span, pieceStart: number, end: number, options: ChunkOptions): number {
	let start = previous.end;
	while (start > previous.start + 1 && tokensOf(text, start, previous.end) < options.overlapTokens) start = Math.max(previous.start + 1, start - 16);
	const nextWord = (at: number) => {
		while (at < pieceStart && !/\s/.test(text[at - 1])) at++;
		while (at < pieceStart && /\s/.test(text[at])) at++;
		return at;
	};
	start = nextWord(start);
	while (start < pieceStart && tokensOf(text, start, end) > options.maxTokens) start = nextWord(start + 1);
	return start;
}

/**
 * Chunks for LLMs: sections start at headings; within a section, paragraphs (or smaller pieces
 * when a paragraph is too long) are packed up to `maxTokens`, and each chunk after the first in a
 * section repeats the end of the one before by about `overlapTokens`. Chunks are ranges of the
 * text, so results can point back into it.
 */
export function chunkText(text: string, options: ChunkOptions): ChunkBoundary[] {
	const overlap = Math.max(0, Math.min(options.overlapTokens, Math.floor(options.maxTokens / 2)));
	const pieceLimit = Math.max(1, options.maxTokens - overlap);
	const chunks: ChunkBoundary[] = [];
	let current: Span | null = null;

	for (const section of sections(text)) {
		for (const piece of pieces(text, section, pieceLimit)) {
			if (current && current.section === piece.section && tokensOf(text, current.start, piece.end) <= options.maxTokens) {
				current.end = piece.end;
				continue;
			}
			let start = piece.start;
			if (current) {
				chunks.push({ start: current.start, end: current.end, heading: current.heading, tokenEstimate: tokensOf(text, current.start, current.end) });
				if (current.section === piece.section && overlap > 0) start = overlapStart(text, current, piece.start, piece.end, { maxTokens: options.maxTokens, overlapTokens: overlap });
			}
			current = { ...piece, start };
		}
	}
	if (current) chunks.push({ start: current.start, end: current.end, heading: current.heading, tokenEstimate: tokensOf(text, current.start, current.end) });
	return chunks;
}
