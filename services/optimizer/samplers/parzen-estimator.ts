import type { Random } from "../seeded-random.ts";

/**
 * The densities TPE compares: a mixture of truncated Gaussians on [0, 1] (numeric dimensions, scaled)
 * and smoothed category frequencies (categorical ones). Both include a flat prior, so a value that no
 * observation is near still has some density and can be explored.
 */
export interface Estimator<T> {
	sample(random: Random): T;
	logDensity(value: T): number;
}

const SQRT2 = Math.SQRT2;

/** Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7): plenty for comparing densities. */
function erf(x: number): number {
	const sign = x < 0 ? -1 : 1;
	const t = 1 / (1 + 0.3275911 * Math.abs(x));
	const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
	return sign * y;
}

function normalCdf(x: number, mu: number, sigma: number): number {
	return 0.5 * (1 + erf((x - mu) / (sigma * SQRT2)));
}

const PRIOR_MU = 0.5;
const PRIOR_SIGMA = 1;

/**
 * Each observation is a component centred on it, as wide as the larger gap to its neighbours
 * (clipped so that few observations do not give needle-thin peaks), plus the prior component.
 */
export function numericEstimator(points: number[]): Estimator<number> {
	const centres = [...points.map(mu => ({ mu, prior: false })), { mu: PRIOR_MU, prior: true }].sort((a, b) => a.mu - b.mu);
	const minSigma = 1 / Math.min(100, centres.length + 1);
	const components = centres.map(({ mu, prior }, i) => {
		if (prior) return { mu, sigma: PRIOR_SIGMA };
		const left = i === 0 ? mu : mu - centres[i - 1].mu;
		const right = i === centres.length - 1 ? 1 - mu : centres[i + 1].mu - mu;
		return { mu, sigma: Math.min(1, Math.max(minSigma, left, right)) };
	});
	const weight = 1 / components.length;
	const withMass = components.map(c => ({ ...c, mass: Math.max(1e-12, normalCdf(1, c.mu, c.sigma) - normalCdf(0, c.mu, c.sigma)) }));
	return {
		sample(random) {
			const c = withMass[Math.floor(random.next() * withMass.length)];
			for (let attempt = 0; attempt < 100; attempt++) {
				const x = c.mu + c.sigma * random.normal();
				if (x >= 0 && x <= 1) return x;
			}
			return Math.min(1, Math.max(0, c.mu));
		},
		logDensity(x) {
			let density = 0;
			for (const c of withMass) {
				const z = (x - c.mu) / c.sigma;
				density += (weight * Math.exp(-0.5 * z * z)) / (c.sigma * Math.sqrt(2 * Math.PI) * c.mass);
			}
			return Math.log(Math.max(density, 1e-300));
		},
	};
}

/**
 * Category frequencies with one pseudo-observation per category (Laplace smoothing): a category that
 * was unlucky in the random start-up, its other settings being poor, is still tried now and then.
 * (One observation's worth of prior over all categories locked studies onto their first fair model.)
 */
export function categoricalEstimator(categoryCount: number, observed: number[]): Estimator<number> {
	const weights = Array.from({ length: categoryCount }, () => 1);
	for (const index of observed) weights[index] += 1;
	const total = observed.length + categoryCount;
	return {
		sample(random) {
			let r = random.next() * total;
			for (let i = 0; i < categoryCount; i++) {
				r -= weights[i];
				if (r < 0) return i;
			}
			return categoryCount - 1;
		},
		logDensity(index) {
			return Math.log(weights[index] / total);
		},
	};
}
