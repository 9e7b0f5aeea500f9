import { createGridSampler } from "./grid-sampler.ts";
import { createRandomSampler } from "./random-sampler.ts";
import { createTpeSampler } from "./tpe-sampler.ts";
import type { Sampler, SamplerName, SamplerOptions } from "./sampler.ts";

const FACTORIES: Record<SamplerName, (options: SamplerOptions) => Sampler> = {
	grid: createGridSampler,
	random: createRandomSampler,
	tpe: createTpeSampler,
};

export function createSampler(name: SamplerName, options: SamplerOptions): Sampler {
	return FACTORIES[name](options);
}
