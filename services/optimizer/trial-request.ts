import type { CompleteParams, CompleteResult, CompletionParams } from "../../shared/contracts/llm.ts";
import type { LlmPrice } from "../../shared/config.ts";
import type { Configuration, ParamValue } from "./search-space.ts";
import type { Example, StudyTask } from "./study/definition.ts";

/**
 * Output tokens a paid call may produce when the study sets no max_tokens: the optimizer always
 * sends a limit to paid models, so that the worst case of a call, and with it the budget, is known.
 */
export const DEFAULT_MAX_TOKENS = 1024;
/** Input tokens allowed for the instructions the llm service wraps around an analysis task. */
const ANALYSIS_INSTRUCTION_TOKENS = 2_000;
/** Per-message framing tokens of chat formats. */
const MESSAGE_FRAMING_TOKENS = 16;

const PARAM_NAMES = ["temperature", "top_p", "max_tokens", "sentences", "keywords", "promptVariant"] as const;

/** The model and llm parameters of one configuration (dimensions over the study's fixed params). */
export function callSettings(configuration: Configuration, fixed: Record<string, ParamValue>): { model: string; params: CompletionParams } {
	const merged: Record<string, ParamValue> = { ...fixed, ...configuration };
	const params: Record<string, ParamValue> = {};
	for (const name of PARAM_NAMES) if (merged[name] !== undefined) params[name] = merged[name];
	return { model: String(merged.model ?? "local"), params: params as CompletionParams };
}

function fill(template: string, input: string): string {
	return template.split("{{input}}").join(input);
}

/** The llm.complete request for one example under one configuration. */
export function completionRequest(task: StudyTask, settings: { model: string; params: CompletionParams }, example: Example, paid: boolean): CompleteParams {
	const params: CompletionParams = { ...settings.params };
	if (paid && params.max_tokens === undefined) params.max_tokens = DEFAULT_MAX_TOKENS;
	const request: CompleteParams = { providers: [settings.model], strategy: "single", params };
	if (task.type === "prompt") {
		const variant = params.promptVariant;
		delete params.promptVariant;
		const template = variant !== undefined && task.variants?.[variant] !== undefined ? task.variants[variant] : task.prompt!;
		request.prompt = fill(template, example.input);
		if (task.system !== undefined) request.system = task.system;
	} else {
		request.task = { types: [task.type], input: example.input };
	}
	return request;
}

/** The text that is scored: the analysis field the task asked for, else the plain output. */
export function outputOf(task: StudyTask, result: CompleteResult): string {
	const first = result.results[0];
	const data = first?.data ?? result.data;
	if (task.type === "summary" && typeof data?.summary === "string") return data.summary;
	if (task.type === "keywords" && Array.isArray(data?.keywords)) return data.keywords.join(", ");
	return first?.output ?? result.output;
}

/**
 * The most one call can cost: every input byte a token (byte-level tokenizers never make tokens
 * smaller than a byte), the instructions the llm service adds, and every allowed output token.
 */
export function maxCallCostUsd(price: LlmPrice, request: CompleteParams): number {
	if (price.input === 0 && price.output === 0) return 0;
	const text = [request.prompt ?? "", request.system ?? "", request.task?.input ?? ""].join("");
	const inputTokens = Buffer.byteLength(text, "utf8") + (request.task ? ANALYSIS_INSTRUCTION_TOKENS : 2 * MESSAGE_FRAMING_TOKENS);
	const outputTokens = request.params?.max_tokens ?? DEFAULT_MAX_TOKENS;
	// A long-context tier (Gemini's above 200k input tokens) prices the whole call, as the llm service charges it.
	const rates = price.above && inputTokens > price.above.inputTokens ? price.above : price;
	return (inputTokens * rates.input + outputTokens * rates.output) / 1_000_000;
}
