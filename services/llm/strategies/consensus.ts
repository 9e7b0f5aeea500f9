import type { ProviderResult } from "../../../shared/contracts/llm.ts";
import { parallel } from "./parallel.ts";
import { succeeded, type Strategy } from "./strategy.ts";

function words(text: string): Set<string> {
	return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** Jaccard similarity of two answers' word sets: 1 for the same words, 0 for none in common. */
export function similarity(a: Set<string>, b: Set<string>): number {
	if (a.size === 0 && b.size === 0) return 1;
	let shared = 0;
	for (const word of a) if (b.has(word)) shared++;
	return shared / (a.size + b.size - shared);
}

/** The answer most in agreement with the others (highest mean similarity; the earlier one on a tie). */
export function mostAgreed(candidates: ProviderResult[]): number {
	const sets = candidates.map(c => words(c.data ? JSON.stringify(c.data) : c.output));
	let best = 0;
	let bestScore = -1;
	sets.forEach((set, i) => {
		const others = sets.filter((_, j) => j !== i);
		const score = others.length === 0 ? 1 : others.reduce((sum, other) => sum + similarity(set, other), 0) / others.length;
		if (score > bestScore) {
			best = i;
			bestScore = score;
		}
	});
	return best;
}

/**
 * Every target at once, then one answer: the configured judge model's pick, or (no judge, or the judge
 * failed or answered nonsense) the answer that agrees most with the others.
 */
export const consensus: Strategy = async (targets, run, options) => {
	const { results } = await parallel(targets, run, options);
	const candidates = results.filter(succeeded);
	if (candidates.length === 0) return { results };
	if (candidates.length === 1) return { results, chosen: results.indexOf(candidates[0]) };
	let pick: number | undefined;
	let judge: ProviderResult | undefined;
	if (options.judge) {
		const verdict = await options.judge(candidates);
		judge = verdict.result;
		pick = verdict.index;
	}
	const chosen = candidates[pick ?? mostAgreed(candidates)];
	return { results, chosen: results.indexOf(chosen), judge };
};
