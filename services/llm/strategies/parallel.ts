import { firstSuccess, type Strategy } from "./strategy.ts";

/** Every target at once; every result side by side; the answer is the first successful one in the order given. */
export const parallel: Strategy = async (targets, run, { signal }) => {
	const results = await Promise.all(targets.map(target => run(target, signal)));
	return { results, chosen: firstSuccess(results) };
};
