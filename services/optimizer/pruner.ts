import { meanScores, weightedLosses, type Scores } from "./objectives.ts";
import type { EarlyStopping, Objective } from "./study/definition.ts";

/**
 * Median pruning: after the first examples, a trial whose weighted loss on those examples exceeds the
 * median of the finished trials' losses on the same examples by more than `margin` is not worth its
 * remaining calls. Losses are scaled over the compared trials, so the margin reads as "a quarter of
 * the spread between the best and the worst trial" whatever the metrics' units.
 */
export function shouldPrune(partial: Scores[], finished: Scores[][], objectives: Objective[], rules: EarlyStopping): boolean {
	if (!rules.enabled || finished.length < rules.minTrials) return false;
	const examples = partial.length;
	const comparable = finished.filter(f => f.length >= examples).map(f => meanScores(f.slice(0, examples)));
	if (comparable.length < rules.minTrials) return false;
	const losses = weightedLosses([...comparable, meanScores(partial)], objectives);
	const mine = losses.pop()!;
	const sorted = losses.sort((a, b) => a - b);
	const middle = sorted.length / 2;
	const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
	return mine > median + rules.margin;
}
