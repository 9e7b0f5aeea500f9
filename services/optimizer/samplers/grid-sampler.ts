import { seededRandom } from "../seeded-random.ts";
import { configurationKey, gridConfiguration, gridSize } from "../search-space.ts";
import type { Sampler, SamplerOptions } from "./sampler.ts";

function gcd(a: number, b: number): number {
	return b === 0 ? a : gcd(b, a % b);
}

/**
 * Visits the grid in a seeded pseudo-random order (an affine permutation of the grid indices), so a
 * trial budget smaller than the grid still spreads over the whole grid instead of its first corner.
 */
export function createGridSampler({ dimensions, seed }: SamplerOptions): Sampler {
	const size = gridSize(dimensions);
	const random = seededRandom(seed, "grid");
	let stride = 1 + random.int(0, Math.max(0, size - 1));
	while (gcd(stride, size) !== 1) stride++;
	const offset = random.int(0, size - 1);
	return {
		suggest(_trialNumber, history) {
			const seen = new Set(history.map(o => configurationKey(o.configuration)));
			for (let position = 0; position < size; position++) {
				const configuration = gridConfiguration(dimensions, (offset + position * stride) % size);
				if (!seen.has(configurationKey(configuration))) return configuration;
			}
			return undefined;
		},
	};
}
