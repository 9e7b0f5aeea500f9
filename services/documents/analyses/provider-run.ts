import { setTimeout as sleep } from "node:timers/promises";
import { Errors } from "moleculer";
import type { AnalysisData, AnalysisTask, AnalysisTaskType, CompleteParams, CompleteResult, CompletionParams, Usage } from "../../../shared/contracts/llm.ts";
import { batchBudget, type Batch } from "./batches.ts";
import { combineBatches, type BatchAnalysis } from "./combine.ts";
import { resultProblems } from "./result-schema.ts";
import type { ProviderAnalysis } from "./types.ts";

/** `llm.complete`, as the worker calls it on the requesting user's behalf. */
export type Complete = (params: CompleteParams) => Promise<CompleteResult>;

/** Progress of the whole analysis: steps (LLM calls) done out of the steps expected. */
export interface ProgressTracker {
	expect(steps: number): void;
	step(): void;
}

export interface ProviderRunInput {
	provider: string;
	tasks: AnalysisTaskType[];
	question?: string;
	params: CompletionParams;
	batches: Batch[];
	complete: Complete;
	progress: ProgressTracker;
	signal: AbortSignal;
}

/** Map calls one provider has in flight at once within one analysis. */
const MAP_CONCURRENCY = 3;

/** Times a call waits out the llm service's per-user request limit before its provider counts as failed. */
const RATE_LIMIT_WAITS = 10;

/**
 * `work`, or the signal's reason as soon as it aborts. A call to another service cannot be recalled
 * (Moleculer has no cancellation across nodes), but a cancelled analysis need not wait for it: its
 * worker slot is free at once, and the late answer is dropped (its cost is still recorded by llm).
 */
function abandonOnAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
	if (signal.aborted) return Promise.reject(signal.reason);
	let onAbort = () => {};
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(signal.reason);
		signal.addEventListener("abort", onAbort, { once: true });
	});
	return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

/**
 * The llm service counts every map and reduce call against the user's per-minute request limit; a
 * large analysis waits as long as a 429 says, rather than failing a provider that is fine.
 */
async function completeWithinRateLimit(complete: Complete, params: CompleteParams, signal: AbortSignal): Promise<CompleteResult> {
	for (let waited = 0; ; waited++) {
		try {
			return await abandonOnAbort(complete(params), signal);
		} catch (err) {
			const limited = err as { code?: number; data?: { retryAfter?: number } };
			if (limited.code !== 429 || waited >= RATE_LIMIT_WAITS) throw err;
			await sleep((limited.data?.retryAfter ?? 5) * 1_000, undefined, { signal });
		}
	}
}

/** A provider call that failed; its type and message go into that provider's result. */
class ProviderCallError extends Error {
	readonly type: string;
	constructor(type: string, message: string) {
		super(message);
		this.type = type;
	}
}

function describeFailure(err: unknown): { type: string; message: string } {
	if (err instanceof ProviderCallError) return { type: err.type, message: err.message };
	// Errors from the llm service are written for callers; anything else is internal.
	if (err instanceof Errors.MoleculerError) return { type: err.type || "PROVIDER_ERROR", message: err.message };
	return { type: "INTERNAL_ERROR", message: "The analysis of this provider failed unexpectedly" };
}

/** Runs `work` over `items`, at most `limit` at once; after a failure no new item starts. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	let failed = false;
	const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length && !failed) {
			const index = next++;
			try {
				results[index] = await work(items[index]);
			} catch (err) {
				failed = true;
				throw err;
			}
		}
	});
	const outcomes = await Promise.allSettled(lanes);
	const rejected = outcomes.find(o => o.status === "rejected");
	if (rejected) throw rejected.reason;
	return results;
}

const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** Groups texts into runs that fit the budget, always at least two per run so each round shrinks. */
function reduceGroups(texts: string[], budget: number): string[][] {
	const groups: string[][] = [];
	let current: string[] = [];
	let tokens = 0;
	for (const text of texts) {
		const size = estimateTokens(text);
		if (current.length >= 2 && tokens + size > budget) {
			groups.push(current);
			current = [];
			tokens = 0;
		}
		current.push(text);
		tokens += size;
	}
	if (current.length === 1 && groups.length > 0) groups[groups.length - 1].push(current[0]);
	else if (current.length > 0) groups.push(current);
	return groups;
}

/**
 * One provider's map-reduce over the document: each batch analysed in its own call (within the
 * provider's context budget), lists and scores combined here, and the partial summaries (and
 * answers) reduced by the same provider, level by level, until one remains. A failure ends this
 * provider's run only: its result keeps the error and what it spent.
 */
export async function runProvider(input: ProviderRunInput): Promise<ProviderAnalysis> {
	const started = Date.now();
	const usage: Usage = { inputTokens: 0, outputTokens: 0 };
	let costUsd = 0;
	let calls = 0;
	let cachedCalls = 0;
	let model = input.provider.includes(":") ? input.provider.slice(input.provider.indexOf(":") + 1) : "";
	const budget = batchBudget(input.provider);

	const call = async (task: AnalysisTask): Promise<AnalysisData> => {
		input.signal.throwIfAborted();
		const response = await completeWithinRateLimit(input.complete, { task, providers: [input.provider], strategy: "single", params: input.params }, input.signal);
		const result = response.results?.[0];
		calls++;
		usage.inputTokens += response.usage?.inputTokens ?? 0;
		usage.outputTokens += response.usage?.outputTokens ?? 0;
		costUsd += response.costUsd ?? 0;
		if (response.cached) cachedCalls++;
		if (result?.model) model = result.model;
		input.progress.step();
		if (result?.error) throw new ProviderCallError(result.error.type, result.error.message);
		const data = response.data ?? result?.data;
		if (!data) throw new ProviderCallError("INVALID_OUTPUT", "The provider answered without the structured result the task asks for");
		return data;
	};

	const reduce = async (type: "summary" | "question", texts: string[]): Promise<string> => {
		let level = texts;
		let expected = 1;
		while (level.length > 1) {
			const groups = reduceGroups(level, budget);
			input.progress.expect(groups.length - expected);
			expected = 0;
			level = await mapBounded(groups, MAP_CONCURRENCY, async group => {
				if (type === "summary") return (await call({ types: ["summary"], input: group.join("\n\n") })).summary ?? "";
				const notes = `Answers to the question found in successive parts of one document:\n\n${group.join("\n\n")}`;
				return (await call({ types: ["question"], question: input.question, input: notes })).answer ?? "";
			});
		}
		return level[0] ?? "";
	};

	let output: AnalysisData | null = null;
	let error: ProviderAnalysis["error"];
	try {
		// One step per batch, and one per reduce; a reduce needing several levels adds its extra calls when it starts them.
		const reduced = input.batches.length > 1 ? input.tasks.filter(t => t === "summary" || t === "question").length : 0;
		input.progress.expect(input.batches.length + reduced);
		const mapTask = (batch: Batch): AnalysisTask => ({ types: input.tasks, input: batch.text, ...(input.question ? { question: input.question } : {}) });
		const parts: BatchAnalysis[] = await mapBounded(input.batches, MAP_CONCURRENCY, async batch => ({ batch, data: await call(mapTask(batch)) }));
		output = combineBatches(parts);
		if (parts.length > 1 && input.tasks.includes("summary")) output.summary = await reduce("summary", parts.map(p => p.data.summary ?? "").filter(Boolean));
		if (parts.length > 1 && input.tasks.includes("question")) output.answer = await reduce("question", parts.map(p => p.data.answer ?? "").filter(Boolean));
		const problems = resultProblems(output, input.tasks);
		if (problems.length > 0) error = { type: "INVALID_OUTPUT", message: `The combined result does not match the schema: ${problems.join("; ")}` };
	} catch (err) {
		if (input.signal.aborted) throw err;
		error = describeFailure(err);
	}
	const analysis: ProviderAnalysis = {
		provider: input.provider.split(":")[0],
		model,
		output,
		usage,
		costUsd: Number(costUsd.toFixed(6)),
		latencyMs: Date.now() - started,
		cached: calls > 0 && cachedCalls === calls,
		calls,
	};
	if (error) analysis.error = error;
	return analysis;
}
