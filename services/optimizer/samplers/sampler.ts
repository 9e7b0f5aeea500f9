import type { Configuration, Dimension } from "../search-space.ts";

/** A finished trial as samplers see it: lower loss is better; null when the trial failed. */
export interface Observation {
	configuration: Configuration;
	loss: number | null;
}

export const SAMPLER_NAMES = ["grid", "random", "tpe"] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/**
 * Suggests the configuration of trial `trialNumber` from the trials before it. A pure function of
 * (space, seed, trial number, history): a resumed study suggests what the uninterrupted one would
 * have. Never suggests a configuration already in `history`; undefined when the space is exhausted.
 */
export interface Sampler {
	suggest(trialNumber: number, history: Observation[]): Configuration | undefined;
}

export interface SamplerOptions {
	dimensions: Dimension[];
	seed: number;
	/** The study's trial budget; TPE sizes its random start-up phase from it. */
	maxTrials: number;
}
