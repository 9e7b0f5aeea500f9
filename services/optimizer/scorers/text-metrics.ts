import { distance } from "fastest-levenshtein";
import type { UserRegex } from "./user-regex.ts";

/**
 * Offline text metrics, each in [0, 1] with 1 the best. Pure functions of (output, expectation);
 * ROUGE and JSON live in their own files because they load libraries lazily.
 */

/** Lower-cased words (letters and digits of any script), the unit ROUGE and BLEU count. */
export function words(text: string): string[] {
	return text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function normalized(text: string, caseSensitive: boolean): string {
	const collapsed = text.normalize("NFKC").replace(/\s+/g, " ").trim();
	return caseSensitive ? collapsed : collapsed.toLowerCase();
}

/** 1 when the output equals the reference, ignoring surrounding and repeated whitespace (and case, unless asked). */
export function exactMatch(output: string, reference: string, caseSensitive = false): number {
	return normalized(output, caseSensitive) === normalized(reference, caseSensitive) ? 1 : 0;
}

export function regexMatch(output: string, pattern: UserRegex): number {
	return pattern.test(output) ? 1 : 0;
}

function containedTerms(output: string, terms: string[]): number {
	const haystack = normalized(output, false);
	return terms.filter(term => haystack.includes(normalized(term, false))).length;
}

/** Keyword coverage: the share of the terms that the output contains (case-insensitive); 1 when all are there. */
export function containsAll(output: string, terms: string[]): number {
	return terms.length === 0 ? 1 : containedTerms(output, terms) / terms.length;
}

/** 1 when the output contains at least one of the terms (case-insensitive). */
export function containsAny(output: string, terms: string[]): number {
	return containedTerms(output, terms) > 0 ? 1 : 0;
}

export interface LengthBounds {
	min?: number;
	max?: number;
	unit: "words" | "chars";
}

/** 1 inside the bounds; outside, falls linearly with the distance to the nearest bound (0 at one bound's length away). */
export function lengthWithin(output: string, bounds: LengthBounds): number {
	const length = bounds.unit === "words" ? words(output).length : [...output.trim()].length;
	if (bounds.min !== undefined && length < bounds.min) return Math.max(0, 1 - (bounds.min - length) / Math.max(1, bounds.min));
	if (bounds.max !== undefined && length > bounds.max) return Math.max(0, 1 - (length - bounds.max) / Math.max(1, bounds.max));
	return 1;
}

/** 1 - edit distance / length of the longer text, on whitespace-collapsed text. */
export function levenshteinSimilarity(output: string, reference: string): number {
	const a = normalized(output, true);
	const b = normalized(reference, true);
	const longer = Math.max(a.length, b.length);
	return longer === 0 ? 1 : 1 - distance(a, b) / longer;
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
	const counts = new Map<string, number>();
	for (let i = 0; i + n <= tokens.length; i++) {
		const gram = tokens.slice(i, i + n).join(" ");
		counts.set(gram, (counts.get(gram) ?? 0) + 1);
	}
	return counts;
}

const BLEU_MAX_ORDER = 4;

/**
 * Sentence BLEU-4 (Papineni et al., 2002) with add-one smoothing of the 2- to 4-gram precisions
 * (Lin and Och, 2004), so one missing 4-gram does not zero a short answer. Orders longer than the
 * output are left out; no shared word at all gives 0.
 */
export function bleu(output: string, reference: string): number {
	const candidate = words(output);
	const expected = words(reference);
	if (candidate.length === 0 || expected.length === 0) return candidate.length === expected.length ? 1 : 0;
	const orders = Math.min(BLEU_MAX_ORDER, candidate.length);
	let logPrecision = 0;
	for (let n = 1; n <= orders; n++) {
		const produced = ngramCounts(candidate, n);
		const wanted = ngramCounts(expected, n);
		let matched = 0;
		for (const [gram, count] of produced) matched += Math.min(count, wanted.get(gram) ?? 0);
		const total = candidate.length - n + 1;
		if (n === 1 && matched === 0) return 0;
		logPrecision += Math.log(n === 1 ? matched / total : (matched + 1) / (total + 1));
	}
	const brevityPenalty = candidate.length >= expected.length ? 1 : Math.exp(1 - expected.length / candidate.length);
	return brevityPenalty * Math.exp(logPrecision / orders);
}
