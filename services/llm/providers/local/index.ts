import { ANALYSIS_TASKS, type AnalysisTask, type CompletionParams } from "../../../../shared/contracts/llm.ts";
import { estimateTokens } from "../../pricing.ts";
import { ProviderError, type Provider, type ProviderRequest, type ProviderResponse } from "../provider.ts";
import type { AnalyzerSettings, PlatformConfig } from "../../../../shared/config.ts";
import type { Knobs } from "./analyzer.ts";
import type { AnalyzerPool } from "./analyzer-pool.ts";

/**
 * The offline analyzer: extractive summaries, key points, keywords, entities, sentiment, topics,
 * language, readability, statistics and extractive answers, computed here without a key or a
 * network. It answers analysis tasks only; free-form chat gets an honest "unsupported" error rather
 * than invented text. It runs in worker threads (analyzer-pool.ts), created on the first task, whose
 * modules (and word lists) load then too; the event loop only checks the task and words the answer.
 */

const MODEL = "extractive";
const DEFAULT_SENTENCES = 3;
const DEFAULT_KEY_POINTS = 5;
const DEFAULT_KEYWORDS = 8;
const MAX_SENTENCES = 50;
const MAX_KEYWORDS = 100;

function knob(value: unknown, fallback: number, max: number): number {
	return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(1, Math.round(value))) : fallback;
}

function knobsOf(params: CompletionParams): Knobs {
	const sentences = knob(params.sentences, DEFAULT_SENTENCES, MAX_SENTENCES);
	return {
		sentences,
		keyPoints: params.sentences === undefined ? DEFAULT_KEY_POINTS : sentences,
		keywords: knob(params.keywords, DEFAULT_KEYWORDS, MAX_KEYWORDS),
	};
}

function checkTask(task: AnalysisTask, settings: AnalyzerSettings): void {
	const fail = (message: string) => new ProviderError("local", "client_error", message);
	if (typeof task.input !== "string") throw fail("the analysis task has no input text");
	if (task.input.length > settings.maxInputChars) {
		throw fail(`the text has ${task.input.length} characters; the offline analyzer takes at most ${settings.maxInputChars} (ANALYZER_MAX_INPUT_CHARS)`);
	}
	if (!Array.isArray(task.types) || task.types.length === 0) throw fail(`the analysis task names no analysis; choose from ${ANALYSIS_TASKS.join(", ")}`);
	const unknown = task.types.filter(type => !(ANALYSIS_TASKS as readonly string[]).includes(type));
	if (unknown.length > 0) throw fail(`unknown analysis ${unknown.join(", ")}; choose from ${ANALYSIS_TASKS.join(", ")}`);
	if (task.types.includes("question") && !task.question?.trim()) throw fail("a question analysis needs the question to answer");
}

/** The one pool of this process, made on the first task with the settings of the first caller. */
let pool: Promise<AnalyzerPool> | undefined;

function analyzerPool(settings: AnalyzerSettings): Promise<AnalyzerPool> {
	pool ??= import("./analyzer-pool.ts").then(({ AnalyzerPool }) => new AnalyzerPool(settings));
	return pool;
}

export const localProvider: Provider = {
	name: "local",
	supportsChat: false,
	defaultModel: () => MODEL,
	models: () => [MODEL],
	isConfigured: () => true,
	async complete(request: ProviderRequest, config: PlatformConfig): Promise<ProviderResponse> {
		const { task } = request;
		if (!task) {
			throw new ProviderError(
				"local",
				"unsupported",
				"the local analyzer only answers analysis tasks (summary, key_points, keywords, entities, sentiment, topics, language, readability, statistics, question); it does not generate free-form chat replies"
			);
		}
		checkTask(task, config.analyzer);
		const [analyzer, { taskOutputText }, { AnalyzerMemoryError }] = await Promise.all([analyzerPool(config.analyzer), import("../../tasks/output-text.ts"), import("./analyzer-pool.ts")]);
		let data;
		try {
			request.signal?.throwIfAborted();
			// Only the fields the thread needs: a task object may carry more than structured clone copies well.
			const job = { task: { types: task.types, input: task.input, question: task.question }, knobs: knobsOf(request.params ?? {}) };
			data = await analyzer.run(job, request.signal);
		} catch (err) {
			if (request.signal?.aborted) throw new ProviderError("local", "aborted", "the analysis was cancelled", { cause: err });
			if (err instanceof AnalyzerMemoryError) throw new ProviderError("local", "client_error", err.message, { cause: err });
			throw err;
		}
		const text = taskOutputText(task, data);
		return {
			text,
			finishReason: "stop",
			usage: { inputTokens: estimateTokens(task.input + (task.question ?? "")), outputTokens: estimateTokens(text) },
			model: MODEL,
			data,
		};
	},
	async close(): Promise<void> {
		const current = pool;
		pool = undefined;
		if (current) await (await current).close();
	},
};
