import { seededRandom } from "../seeded-random.ts";
import { configurationKey, randomConfiguration, unseenConfiguration, type Configuration, type Dimension } from "../search-space.ts";
import type { Random } from "../seeded-random.ts";
import type { Sampler, SamplerOptions } from "./sampler.ts";

const DRAWS_BEFORE_SCAN = 64;

/** A uniformly random configuration not in `seen`; scans the space once random draws keep colliding. */
export function randomUnseen(dimensions: Dimension[], seen: Set<string>, random: Random): Configuration | undefined {
	for (let draw = 0; draw < DRAWS_BEFORE_SCAN; draw++) {
		const configuration = randomConfiguration(dimensions, random);
		if (!seen.has(configurationKey(configuration))) return configuration;
	}
	return unseenConfiguration(dimensions, seen, random);
}

export function createRandomSampler({ dimensions, seed }: SamplerOptions): Sampler {
	return {
		suggest(trialNumber, history) {
			const seen = new Set(history.map(o => configurationKey(o.configuration)));
			return randomUnseen(dimensions, seen, seededRandom(seed, "random", trialNumber));
		},
	};
}
