import { seededRandom } from "../seeded-random.ts";
import { configurationKey, snap, type Configuration, type Dimension } from "../search-space.ts";
import { categoricalEstimator, numericEstimator, type Estimator } from "./parzen-estimator.ts";
import { randomUnseen } from "./random-sampler.ts";
import type { Observation, Sampler, SamplerOptions } from "./sampler.ts";

/** Share of the observations that counts as "good" (Bergstra et al.'s gamma), and its cap. */
const GOOD_FRACTION = 0.25;
const MAX_GOOD = 25;
/** Candidates drawn from the good density per suggestion; the best l/g ratio wins. */
const CANDIDATES = 24;

/** Random trials before the model takes over: a quarter of the budget, between 3 and 10. */
export function startupTrials(maxTrials: number): number {
	return Math.min(10, Math.max(3, Math.floor(maxTrials / 4)));
}

interface DimensionModel {
	good: Estimator<number>;
	bad: Estimator<number>;
	/** From the estimator's scale (unit interval, or category index) to the dimension's value. */
	decode(x: number): string | number;
}

function encode(dimension: Dimension, value: string | number): number {
	if (dimension.kind === "categorical") return Math.max(0, dimension.values.indexOf(value));
	return dimension.max === dimension.min ? 0.5 : ((value as number) - dimension.min) / (dimension.max - dimension.min);
}

function modelOf(dimension: Dimension, good: Observation[], bad: Observation[]): DimensionModel {
	const values = (observations: Observation[]) => observations.map(o => encode(dimension, o.configuration[dimension.name]));
	if (dimension.kind === "categorical") {
		const count = dimension.values.length;
		return {
			good: categoricalEstimator(count, values(good)),
			bad: categoricalEstimator(count, values(bad)),
			decode: x => dimension.values[x],
		};
	}
	return {
		good: numericEstimator(values(good)),
		bad: numericEstimator(values(bad)),
		decode: x => snap(dimension, dimension.min + x * (dimension.max - dimension.min)),
	};
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al., 2011), independent per dimension: split the
 * finished trials into the best quarter and the rest, model each group's density per dimension, and
 * suggest the candidate (drawn from the good density) with the highest good/bad density ratio.
 * Failed trials count as the worst. Starts with random trials so that there is something to model.
 */
export function createTpeSampler({ dimensions, seed, maxTrials }: SamplerOptions): Sampler {
	const startup = startupTrials(maxTrials);
	return {
		suggest(trialNumber, history) {
			const random = seededRandom(seed, "tpe", trialNumber);
			const seen = new Set(history.map(o => configurationKey(o.configuration)));
			if (history.length < startup || dimensions.length === 0) return randomUnseen(dimensions, seen, random);

			const ranked = [...history].sort((a, b) => (a.loss ?? Infinity) - (b.loss ?? Infinity));
			const goodCount = Math.min(MAX_GOOD, Math.max(1, Math.ceil(GOOD_FRACTION * ranked.length)));
			const good = ranked.slice(0, goodCount).filter(o => o.loss !== null);
			const bad = ranked.slice(goodCount);
			if (good.length === 0 || bad.length === 0) return randomUnseen(dimensions, seen, random);

			const models = dimensions.map(d => modelOf(d, good, bad));
			const candidates: { configuration: Configuration; score: number }[] = [];
			for (let i = 0; i < CANDIDATES; i++) {
				const configuration: Configuration = {};
				let score = 0;
				dimensions.forEach((dimension, d) => {
					const x = models[d].good.sample(random);
					score += models[d].good.logDensity(x) - models[d].bad.logDensity(x);
					configuration[dimension.name] = models[d].decode(x);
				});
				candidates.push({ configuration, score });
			}
			candidates.sort((a, b) => b.score - a.score);
			const best = candidates.find(c => !seen.has(configurationKey(c.configuration)));
			return best?.configuration ?? randomUnseen(dimensions, seen, random);
		},
	};
}
