import type { Objective } from "./study/definition.ts";

/** Scores by objective name (plus costUsd and latencyMs, which every trial reports). */
export type Scores = Record<string, number>;

/** The mean of each score over several evaluations (examples, repeats). */
export function meanScores(evaluations: Scores[]): Scores {
	const sums: Scores = {};
	for (const scores of evaluations) {
		for (const [name, value] of Object.entries(scores)) sums[name] = (sums[name] ?? 0) + value;
	}
	for (const name of Object.keys(sums)) sums[name] /= evaluations.length;
	return sums;
}

/** The objective's value turned so that lower is better. */
function toLoss(objective: Objective, scores: Scores): number {
	const value = scores[objective.name] ?? NaN;
	if (Number.isNaN(value)) return Infinity;
	return objective.direction === "maximize" ? -value : value;
}

/** a dominates b: at least as good on every objective, strictly better on one. */
export function dominates(a: Scores, b: Scores, objectives: Objective[]): boolean {
	let strictlyBetter = false;
	for (const objective of objectives) {
		const la = toLoss(objective, a);
		const lb = toLoss(objective, b);
		if (la > lb) return false;
		if (la < lb) strictlyBetter = true;
	}
	return strictlyBetter;
}

/** The entries no other entry dominates, in their original order. Equal score vectors are all kept. */
export function paretoFront<T extends { scores: Scores }>(entries: T[], objectives: Objective[]): T[] {
	return entries.filter(candidate => !entries.some(other => other !== candidate && dominates(other.scores, candidate.scores, objectives)));
}

/**
 * Differences smaller than this share of an objective's magnitude are not stretched to the whole
 * scale: three trials at ROUGE-L 0.700, 0.701, 0.702 are alike, not best, middle and worst.
 */
const RELATIVE_SCALE_FLOOR = 0.1;

/**
 * One loss per entry, lower is better: each objective is scaled by its spread over the entries given
 * (so USD and ROUGE weigh alike; [0, 1] unless the spread is below the relative floor), turned to
 * its direction, and weighted (weights normalised to sum 1). An objective on which all entries tie
 * contributes nothing.
 */
export function weightedLosses(entries: Scores[], objectives: Objective[]): number[] {
	const totalWeight = objectives.reduce((sum, o) => sum + o.weight, 0);
	const losses = entries.map(() => 0);
	for (const objective of objectives) {
		const values = entries.map(scores => toLoss(objective, scores));
		const finite = values.filter(Number.isFinite);
		const low = Math.min(...finite);
		const high = Math.max(...finite);
		const scale = Math.max(high - low, RELATIVE_SCALE_FLOOR * Math.max(Math.abs(high), Math.abs(low)));
		values.forEach((value, i) => {
			const scaled = !Number.isFinite(value) ? 1 : scale > 0 ? (value - low) / scale : 0;
			losses[i] += (objective.weight / totalWeight) * scaled;
		});
	}
	return losses;
}

/** The entry with the lowest weighted loss among those given; the earliest wins a tie. */
export function bestEntry<T extends { scores: Scores }>(entries: T[], objectives: Objective[]): T | undefined {
	const losses = weightedLosses(entries.map(e => e.scores), objectives);
	let best: number | undefined;
	losses.forEach((loss, i) => {
		if (best === undefined || loss < losses[best]) best = i;
	});
	return best === undefined ? undefined : entries[best];
}
