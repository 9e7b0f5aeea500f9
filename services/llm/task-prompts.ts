import type * as TaskPrompts from "./tasks/index.ts";

let loading: Promise<typeof TaskPrompts> | undefined;

/** The analysis-task prompts and parser (tasks/), loaded on the first analysis task: free-form chat never needs them. */
export function taskPrompts(): Promise<typeof TaskPrompts> {
	loading ??= import("./tasks/index.ts").catch(err => {
		loading = undefined;
		throw err;
	});
	return loading;
}
