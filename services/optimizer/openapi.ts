import type { ActionOpenApi } from "../api/openapi/action-docs.ts";

const tags = ["optimizer"];

const studyExample = {
	name: "summaries",
	task: { type: "summary" },
	dataset: [{ input: "The council approved the budget on Monday. Critics said ...", reference: "The council approved the budget." }],
	space: { model: ["local", "openai:gpt-4o-mini"], temperature: { min: 0, max: 1.5 }, sentences: { min: 1, max: 8, int: true } },
	objectives: [
		{ metric: "rougeL", direction: "maximize" },
		{ metric: "costUsd", direction: "minimize" },
	],
	sampler: "tpe",
	budget: { maxTrials: 20, maxCostUsd: 0.5 },
	seed: 7,
	dryRun: false,
};

/** What /api/openapi.json says about the optimizer's routes (docs/optimizer.md has the whole story). */
export const OPENAPI: Record<string, ActionOpenApi> = {
	createStudy: {
		tags,
		summary: "Start a study (202), or estimate one with dryRun (200)",
		description:
			"A study searches models and parameters for a task over a small dataset, against objectives, within hard budgets. " +
			"The body is checked as a whole; a 422 names every problem with the path of its field. See docs/optimizer.md for every field and metric.",
		requestExample: studyExample,
		responses: {
			"202": { description: "Queued", example: { id: "3f0c…", status: "queued" } },
			"200": { description: "Dry run: nothing is created or spent", example: { estimate: { calls: 120, costUsd: 0.0432, trials: 20 } } },
			"429": { description: "Too many studies queued or running for this user" },
		},
	},
	listStudies: { tags, summary: "The caller's studies, newest first" },
	getStudy: {
		tags,
		summary: "A study: status, progress, best configuration, Pareto front, spend",
		responses: {
			"200": {
				description: "The study",
				example: {
					id: "3f0c…",
					status: "running",
					progress: { done: 4, total: 20 },
					best: { trial: 2, params: { model: "local", sentences: 6 }, scores: { rougeL: 0.71, costUsd: 0, latencyMs: 4 } },
					pareto: [{ trial: 2, params: { model: "local", sentences: 6 }, scores: { rougeL: 0.71, costUsd: 0, latencyMs: 4 } }],
					spentUsd: 0,
				},
			},
		},
	},
	listTrials: { tags, summary: "Every trial of a study: params, scores, status, cost" },
	cancelStudy: { tags, summary: "Cancel a queued or running study (409 once it has ended)" },
	applyStudy: {
		tags,
		summary: "Save the best configuration (or the Pareto entry `trial`) as a named profile",
		requestExample: { profile: "cheap-summaries" },
	},
	events: {
		tags,
		summary: "Server-sent events: `trial` per finished trial, `progress`, then `done` with the study",
		responses: { "200": { description: "An event stream that ends with the study", contentType: "text/event-stream" } },
	},
	listProfiles: { tags, summary: "The caller's saved profiles (usable as `profile` in analyses and /api/v1/llm/complete)" },
	deleteProfile: { tags, summary: "Delete a saved profile" },
};
