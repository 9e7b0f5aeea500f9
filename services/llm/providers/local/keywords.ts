import type { Token } from "./segmentation.ts";
import { isContentWord, type Text } from "./text.ts";

/**
 * Keywords and key phrases in the manner of RAKE: stop words and punctuation split the text into
 * runs of content words; every run yields phrases of up to MAX_PHRASE_WORDS words. A phrase scores
 * by how often it occurs and how frequent its words are, with words of the opening sentences
 * (title, lead) weighted up. Phrases are compared by their stems, so "contract" and "contracts" are
 * one keyword, shown in the form the text uses most. Without a part-of-speech tagger, English words
 * in "-ed" and "-ly" (mostly verbs and adverbs: "reported", "sharply") end a phrase as stop words do.
 */

const MAX_PHRASE_WORDS = 3;
const OPENING_SENTENCES = 2;
const OPENING_WEIGHT = 1.5;
/** A two-word phrase seen only once is noise in a long text, but may be the point of a short one. */
const SHORT_TEXT_WORDS = 150;
/** Each further word of a phrase adds this share to its score. */
const PHRASE_LENGTH_BONUS = 0.3;
const ENGLISH_VERB_OR_ADVERB = /^\p{Ll}[\p{L}'’-]{3,}(?:ed|ly)$/u;
/** Parts of names and dates that are no subject of their own: titles, legal forms, calendar words. */
const NOT_KEYWORDS = new Set([
	"mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "llc", "plc", "corp", "co", "gmbh", "ag", "sa", "jr", "sr",
	"january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
]);

interface Phrase {
	stems: string[];
	count: number;
	/** Each written form and how often it occurs. */
	forms: Map<string, number>;
	first: number;
}

function isKeywordWord(text: Text, token: Token): boolean {
	if (!isContentWord(token.lower, text.language) || NOT_KEYWORDS.has(token.lower) || text.inLink(token)) return false;
	return !(text.language.code === "en" && ENGLISH_VERB_OR_ADVERB.test(token.text));
}

function runs(text: Text, tokens: Token[]): Token[][] {
	const result: Token[][] = [];
	let run: Token[] = [];
	tokens.forEach((token, i) => {
		const gap = i > 0 ? text.input.slice(tokens[i - 1].end, token.start) : "";
		if (/[^\s]/u.test(gap) && run.length > 0) {
			result.push(run);
			run = [];
		}
		if (isKeywordWord(text, token)) run.push(token);
		else if (run.length > 0) {
			result.push(run);
			run = [];
		}
	});
	if (run.length > 0) result.push(run);
	return result;
}

/** Keeps the capitals of names ("Berlin", "EU") and of languages that capitalise nouns; lower-cases the rest. */
function displayForm(text: Text, words: Token[], sentenceStart: boolean): string {
	// As written between the first and last word: no space in Japanese, one where a line was wrapped.
	const written = text.input.slice(words[0].start, words[words.length - 1].end).replace(/\s+/gu, " ");
	const capitalised = words.some(word => /^\p{Lu}/u.test(word.text));
	return capitalised && !(sentenceStart && words.length === 1) ? written : written.toLowerCase();
}

function collectPhrases(text: Text): Map<string, Phrase> {
	const phrases = new Map<string, Phrase>();
	text.sentences.forEach(sentence => {
		for (const run of runs(text, sentence.tokens)) {
			for (let length = 1; length <= Math.min(MAX_PHRASE_WORDS, run.length); length++) {
				for (let from = 0; from + length <= run.length; from++) {
					const words = run.slice(from, from + length);
					const stems = words.map(word => text.language.stem(word.lower));
					const key = stems.join(" ");
					const phrase = phrases.get(key) ?? { stems, count: 0, forms: new Map(), first: words[0].start };
					phrase.count++;
					const form = displayForm(text, words, words[0] === sentence.tokens[0]);
					phrase.forms.set(form, (phrase.forms.get(form) ?? 0) + 1);
					phrases.set(key, phrase);
				}
			}
		}
	});
	return phrases;
}

function stemWeights(text: Text): Map<string, number> {
	const weights = new Map<string, number>();
	text.terms.forEach((terms, index) => {
		const weight = index < OPENING_SENTENCES ? OPENING_WEIGHT : 1;
		for (const stem of terms) weights.set(stem, (weights.get(stem) ?? 0) + weight);
	});
	return weights;
}

function mostUsedForm(phrase: Phrase): string {
	let best = "";
	let bestCount = 0;
	for (const [form, count] of phrase.forms) {
		// A form in lower case wins a tie: sentence-initial capitals are not names.
		if (count > bestCount || (count === bestCount && form === form.toLowerCase())) [best, bestCount] = [form, count];
	}
	return best;
}

function contains(outer: string[], inner: string[]): boolean {
	for (let i = 0; i + inner.length <= outer.length; i++) if (inner.every((stem, j) => outer[i + j] === stem)) return true;
	return false;
}

export function extractKeywords(text: Text, limit: number): string[] {
	const words = text.sentences.reduce((sum, sentence) => sum + sentence.tokens.length, 0);
	const weights = stemWeights(text);
	const scored = [...collectPhrases(text).values()]
		.filter(phrase => phrase.stems.length === 1 || phrase.count > 1 || (words <= SHORT_TEXT_WORDS && phrase.stems.length === 2))
		.map(phrase => {
			const wordWeight = phrase.stems.reduce((sum, stem) => sum + (weights.get(stem) ?? 0), 0) / phrase.stems.length;
			return { phrase, score: phrase.count * wordWeight * (1 + PHRASE_LENGTH_BONUS * (phrase.stems.length - 1)) };
		})
		.sort((a, b) => b.score - a.score || a.phrase.first - b.phrase.first);
	const chosen: Phrase[] = [];
	for (const { phrase } of scored) {
		if (chosen.length >= limit) break;
		if (chosen.some(other => contains(other.stems, phrase.stems))) continue;
		// Two phrases around the same word ("new climate law", "climate law passed") say the same.
		if (phrase.stems.length > 1 && chosen.some(other => other.stems.length > 1 && other.stems.some(stem => phrase.stems.includes(stem)))) continue;
		// A phrase that extends a chosen keyword replaces it when it is more than half of that keyword's uses.
		const shorter = chosen.findIndex(other => contains(phrase.stems, other.stems));
		if (shorter >= 0) {
			if (phrase.count * 2 > chosen[shorter].count) chosen[shorter] = phrase;
			continue;
		}
		chosen.push(phrase);
	}
	return chosen.map(mostUsedForm);
}
