/**
 * Sentences and words with their character offsets in the input.
 *
 * Hand-written on purpose: Intl.Segmenter's cost grows with the square of the string length in V8
 * (70,000 characters took 0.7 s for words, 350,000 took 80 s), and it splits after every "Dr.".
 * Regular expressions stay linear; Intl.Segmenter is only used per sentence for scripts written
 * without spaces (Chinese, Japanese, Thai, ...), where a regex cannot find word boundaries.
 */

export interface Token {
	/** As written. */
	text: string;
	lower: string;
	start: number;
	end: number;
}

export interface Sentence {
	index: number;
	start: number;
	end: number;
	/** The sentence with runs of whitespace (line breaks of wrapped lines) as one space. */
	text: string;
	tokens: Token[];
	/** A heading or list item: a short line without closing punctuation. */
	heading: boolean;
}

export interface Segmentation {
	sentences: Sentence[];
	paragraphs: number;
}

const WORD = /\p{N}+(?:[.,]\p{N}+)*|[\p{L}\p{M}](?:[\p{L}\p{M}\p{N}]|['’-](?=[\p{L}\p{M}\p{N}]))*/gu;
/** Scripts written without spaces between words. */
export const NO_SPACE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
/** Segmenter input stays short: its cost grows with the square of the length. */
const SEGMENTER_SLICE = 500;
const BULLET = /^\s*(?:[-*•·▪–—]|\d{1,3}[.)]|[a-z][.)]|\(\w{1,3}\))\s+/u;
/** A line ending in one of these is a sentence or goes on; a letter's salutation ends in a comma. */
const CLOSING_PUNCTUATION = /[.!?…:;,。！？]["'”’»)\]」』]*\s*$/u;
const SENTENCE_END = /[.!?…]+|[。！？]+/gu;
const TRAILING_CLOSERS = /["'”’»)\]」』]*/uy;
const WORD_BEFORE = /([\p{L}\p{M}\p{N}]+(?:\.[\p{L}\p{M}\p{N}]+)*)$/u;
/** Titles and abbreviations after which a period never ends a sentence. */
const NEVER_ENDS = new Set(["mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "gen", "sen", "rep", "gov", "hr", "fr", "mme", "mlle", "vs", "no", "nr", "art", "abs", "fig", "vol", "pp", "p", "ca", "approx", "bzw", "vgl", "ggf", "evtl", "usw", "z.b", "u.a", "e.g", "i.e", "cf", "resp", "incl"]);
/** Abbreviations that may end a sentence, but not when the text goes on in lower case. */
const CONTINUED_ABBREVIATIONS = new Set(["etc", "al", "esp", "dept", "est", "inc", "ltd", "co", "corp", "min", "max", "sec", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]);
const MONTH_AFTER_ORDINAL = /^\s*(?:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec|janv|févr|fevr|avr|juil|sept|déc)/iu;
/** Words that start a sentence rather than continue a name after an initial ("in Annex A. The ..."). */
const SENTENCE_OPENERS = /^(?:the|this|that|these|those|it|its|he|she|we|they|i|in|on|at|if|but|and|or|for|a|an|there|our|their|his|her|der|die|das|le|la|les)\b/iu;
/** Sentences longer than this are cut into pieces: text without punctuation is not one sentence. */
const MAX_SENTENCE_WORDS = 60;
const PIECE_WORDS = 30;
const MAX_HEADING_WORDS = 10;

let segmenter: Intl.Segmenter | undefined;

export function tokenize(text: string, offset = 0): Token[] {
	const tokens: Token[] = [];
	if (NO_SPACE_SCRIPT.test(text)) {
		segmenter ??= new Intl.Segmenter(undefined, { granularity: "word" });
		for (let from = 0; from < text.length; from += SEGMENTER_SLICE) {
			for (const part of segmenter.segment(text.slice(from, from + SEGMENTER_SLICE))) {
				if (!part.isWordLike) continue;
				const start = offset + from + part.index;
				tokens.push({ text: part.segment, lower: part.segment.toLowerCase(), start, end: start + part.segment.length });
			}
		}
		return tokens;
	}
	for (const match of text.matchAll(WORD)) {
		const start = offset + match.index;
		tokens.push({ text: match[0], lower: match[0].toLowerCase(), start, end: start + match[0].length });
	}
	return tokens;
}

interface Span {
	start: number;
	end: number;
	heading: boolean;
}

interface Line {
	start: number;
	end: number;
	text: string;
}

function lines(input: string): Line[] {
	const result: Line[] = [];
	let start = 0;
	for (const part of input.split("\n")) {
		result.push({ start, end: start + part.length, text: part });
		start += part.length + 1;
	}
	return result;
}

const HAS_WORD = /[\p{L}\p{N}]/u;

/** A sentence ends inside the line: body text wrapped mid-sentence, not a heading. */
const SENTENCE_INSIDE = /[.!?]["')\]]?\s+\p{Lu}/u;

function isHeading(line: Line): boolean {
	if (CLOSING_PUNCTUATION.test(line.text) || SENTENCE_INSIDE.test(line.text)) return false;
	let words = 0;
	for (const _word of line.text.matchAll(WORD)) if (++words > MAX_HEADING_WORDS) return false;
	return true;
}

/**
 * Paragraphs are separated by blank lines. Inside one, wrapped lines are joined, while a list item
 * or a heading (a short first line without closing punctuation) stays a unit of its own.
 */
function units(input: string): { units: Span[]; paragraphs: number } {
	const result: Span[] = [];
	let paragraphs = 0;
	let paragraph: Line[] = [];
	const flushParagraph = () => {
		if (paragraph.length === 0) return;
		if (paragraph.some(line => HAS_WORD.test(line.text))) paragraphs++;
		let current: Span | undefined;
		paragraph.forEach((line, i) => {
			const standalone = BULLET.test(line.text) || (i === 0 && isHeading(line));
			if (!current || standalone || current.heading) {
				if (current) result.push(current);
				current = { start: line.start, end: line.end, heading: standalone && isHeading(line) };
			} else {
				current.end = line.end;
			}
		});
		if (current) result.push(current);
		paragraph = [];
	};
	for (const line of lines(input)) {
		if (line.text.trim() === "") flushParagraph();
		else paragraph.push(line);
	}
	flushParagraph();
	return { units: result, paragraphs };
}

function endsSentence(text: string, from: number, punctuationStart: number, punctuation: string, after: number): boolean {
	if (/[。！？]/u.test(punctuation)) return true;
	const rest = text.slice(after, after + 40);
	if (rest !== "" && !/^\s/u.test(rest)) return false;
	const next = rest.trimStart();
	if (next === "") return true;
	const lowercaseNext = /^\p{Ll}/u.test(next);
	if (punctuation !== ".") return !lowercaseNext; // "Yahoo! announced", "wait... what"
	if (/^\s*\d{1,3}$/u.test(text.slice(from, punctuationStart))) return false; // a numbered item: "2. Fees."
	const word = WORD_BEFORE.exec(text.slice(Math.max(0, punctuationStart - 30), punctuationStart))?.[1];
	if (!word) return true;
	const lower = word.toLowerCase();
	if (NEVER_ENDS.has(lower)) return false;
	// Lower case after an abbreviation continues the sentence ("e.g. this", "etc. and"); after a plain word it does not, or all-lower-case text would be one sentence.
	if (lowercaseNext && (word.includes(".") || word.length === 1 || CONTINUED_ABBREVIATIONS.has(lower))) return false;
	if (/^\p{Lu}$/u.test(word) && !SENTENCE_OPENERS.test(next)) return false; // an initial: "John F. Kennedy"
	if (/^\d{1,2}$/u.test(word) && MONTH_AFTER_ORDINAL.test(next)) return false; // "15. März 2024"
	if (/^\p{L}{1,4}$/u.test(word) && /^\d/u.test(next)) return false; // "Sec. 4", "S. 12"
	return true;
}

function sentenceSpans(input: string, unit: Span): Span[] {
	const text = input.slice(unit.start, unit.end);
	const spans: Span[] = [];
	let from = 0;
	for (const match of text.matchAll(SENTENCE_END)) {
		TRAILING_CLOSERS.lastIndex = match.index + match[0].length;
		TRAILING_CLOSERS.test(text);
		const after = TRAILING_CLOSERS.lastIndex;
		if (after <= from || !endsSentence(text, from, match.index, match[0], after)) continue;
		spans.push({ start: unit.start + from, end: unit.start + after, heading: unit.heading });
		from = after;
	}
	if (from < text.length) spans.push({ start: unit.start + from, end: unit.end, heading: unit.heading });
	return spans;
}

/** A sentence of more than MAX_SENTENCE_WORDS words becomes pieces of about PIECE_WORDS words. */
function pieces(span: Span, tokens: Token[]): { span: Span; tokens: Token[] }[] {
	if (tokens.length <= MAX_SENTENCE_WORDS) return [{ span, tokens }];
	const count = Math.ceil(tokens.length / PIECE_WORDS);
	const size = Math.ceil(tokens.length / count);
	const result: { span: Span; tokens: Token[] }[] = [];
	for (let i = 0; i < tokens.length; i += size) {
		const part = tokens.slice(i, i + size);
		const start = i === 0 ? span.start : part[0].start;
		const end = i + size >= tokens.length ? span.end : tokens[i + size].start;
		result.push({ span: { start, end, heading: false }, tokens: part });
	}
	return result;
}

export function segment(input: string): Segmentation {
	const { units: spans, paragraphs } = units(input);
	const sentences: Sentence[] = [];
	for (const unit of spans) {
		for (const span of sentenceSpans(input, unit)) {
			const raw = input.slice(span.start, span.end);
			const tokens = tokenize(raw, span.start);
			if (tokens.length === 0) continue;
			for (const piece of pieces(span, tokens)) {
				const text = input.slice(piece.span.start, piece.span.end).replace(/\s+/gu, " ").trim();
				sentences.push({ index: sentences.length, start: piece.span.start, end: piece.span.end, text, tokens: piece.tokens, heading: piece.span.heading });
			}
		}
	}
	return { sentences, paragraphs };
}
