import type { ProviderResult } from "../../../shared/contracts/llm.ts";
import type { Target } from "../plan.ts";

/** Calls one target; never throws (a failure is the result's `error`). */
export type RunTarget = (target: Target, signal?: AbortSignal) => Promise<ProviderResult>;

export interface StrategyOutcome {
	/** One entry per target that was called, in the order of the targets. */
	results: ProviderResult[];
	/** Index into `results` of the answer given; undefined when every call failed. */
	chosen?: number;
}

export interface StrategyOptions {
	signal?: AbortSignal;
	/** Consensus only: asks a judge model which successful answer is best (an index into `candidates`). */
	judge?: (candidates: ProviderResult[]) => Promise<{ index?: number; result: ProviderResult }>;
}

export type Strategy = (targets: readonly Target[], run: RunTarget, options: StrategyOptions) => Promise<StrategyOutcome & { judge?: ProviderResult }>;

export const succeeded = (result: ProviderResult) => !result.error;

export function firstSuccess(results: ProviderResult[]): number | undefined {
	const index = results.findIndex(succeeded);
	return index < 0 ? undefined : index;
}
