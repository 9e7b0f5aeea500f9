import { firstSuccess, type Strategy } from "./strategy.ts";

/** In order, the next target only when the previous one failed (error, timeout, 429, 5xx, open circuit). `single` is this with one target. */
export const fallback: Strategy = async (targets, run, { signal }) => {
	const results = [];
	for (const target of targets) {
		const result = await run(target, signal);
		results.push(result);
		if (!result.error || signal?.aborted) break;
	}
	return { results, chosen: firstSuccess(results) };
};
