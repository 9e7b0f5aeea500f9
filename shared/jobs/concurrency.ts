import type { PlatformConfig } from "../config.ts";

/**
 * How many jobs one node runs at once, from the memory budget: a quarter of the budget is set
 * aside for running jobs, each assumed to hold `perJobMb` at its peak (clamped to 1..16).
 */
export function jobConcurrency(config: PlatformConfig, perJobMb: number): number {
	return Math.max(1, Math.min(16, Math.floor((config.memoryBudgetMb * 0.25) / perJobMb)));
}
