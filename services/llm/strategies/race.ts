import type { ProviderResult } from "../../../shared/contracts/llm.ts";
import type { Strategy } from "./strategy.ts";

/** Every target at once; the first success wins and the others are aborted (their network calls stop). */
export const race: Strategy = async (targets, run, { signal }) => {
	const controllers = targets.map(() => new AbortController());
	let winner: number | undefined;
	const results = await Promise.all(
		targets.map(async (target, index) => {
			const own = controllers[index].signal;
			const result: ProviderResult = await run(target, signal ? AbortSignal.any([signal, own]) : own);
			if (!result.error && winner === undefined) {
				winner = index;
				controllers.forEach((controller, i) => i !== index && controller.abort());
			}
			return result;
		})
	);
	for (const [index, result] of results.entries()) {
		if (index !== winner && result.error?.type === "aborted" && winner !== undefined) {
			result.error = { type: "aborted", message: `cancelled: ${results[winner].provider}:${results[winner].model} answered first` };
		}
	}
	return { results, chosen: winner };
};
