import type { ActionOpenApi } from "../../api/openapi/action-docs.ts";

const tags = ["analyses"];

const analysisExample = {
	id: "6a1e…",
	documentId: "0df4…",
	status: "succeeded",
	progress: { done: 9, total: 9 },
	options: { providers: ["openai", "anthropic"], strategy: "parallel", tasks: ["summary", "keywords", "sentiment"], params: {} },
	results: [
		{ provider: "openai", model: "gpt-4o-mini", output: { summary: "…", keywords: ["solar", "storage"], sentiment: { label: "positive", score: 0.7 } }, usage: { inputTokens: 5210, outputTokens: 380 }, costUsd: 0.00101, latencyMs: 2310, cached: false, calls: 4 },
		{ provider: "anthropic", model: "claude-3-5-haiku-latest", output: null, usage: { inputTokens: 1200, outputTokens: 0 }, costUsd: 0.001, latencyMs: 800, cached: false, calls: 1, error: { type: "client_error", message: "…" } },
	],
	consensus: null,
	usage: { inputTokens: 6410, outputTokens: 380 },
	costUsd: 0.00201,
	cached: false,
	error: null,
	waitingFor: null,
	createdAt: "2026-11-25T10:00:00.000Z",
	completedAt: "2026-11-25T10:00:03.000Z",
};

/** What /api/openapi.json says about the analyses routes (docs/analyses.md has the whole story). */
export const OPENAPI: Record<string, ActionOpenApi> = {
	create: {
		tags,
		summary: "Analyse a document with one or several providers (202 at once)",
		description:
			"Queues a durable analysis job, or answers at once from the stored result of the same analysis (`cached: true`) unless `refresh` is true. " +
			"Defaults: the configured providers (else `local`), `parallel` with several, the tasks summary, key_points, keywords, entities, sentiment, topics.",
		requestExample: { providers: ["openai", "anthropic", "local"], tasks: ["summary", "keywords", "entities", "sentiment"], params: { temperature: 0.2 } },
		responses: {
			"202": { description: "Accepted; follow it at GET /api/v1/analyses/{id} or its events", example: { id: "6a1e…", status: "queued", cached: false } },
			"409": { description: "The document is not extracted yet" },
			"429": { description: "You have too many analyses queued or running (TOO_MANY_REQUESTS), or the queue is full (QUEUE_FULL); Retry-After says when to try again" },
			"422": { description: "Unknown provider, task, strategy, parameter or profile; an unconfigured provider; a document whose extraction failed" },
		},
	},
	list: { tags, summary: "The analyses of one document, newest first ({ items, total })" },
	get: {
		tags,
		summary: "An analysis: status, progress, every provider's result, the consensus, totals",
		responses: { "200": { description: "The analysis", example: analysisExample } },
	},
	cancel: {
		tags,
		summary: "Cancel a queued or running analysis",
		responses: { "409": { description: "The analysis has already ended" } },
	},
	events: {
		tags,
		summary: "Server-sent events: `progress` on every change, then `done` with the whole analysis",
		responses: { "200": { description: "An event stream that ends with the analysis", contentType: "text/event-stream" } },
	},
};
