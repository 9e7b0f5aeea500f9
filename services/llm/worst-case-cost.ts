import type { LlmPrice, PlatformConfig } from "../../shared/config.ts";
import type { CompletionParams } from "../../shared/contracts/llm.ts";
import type { Plan, Target } from "./plan.ts";
import { costUsd, isFree } from "./pricing.ts";

/** Input tokens allowed for the instructions an analysis task is wrapped in (its system prompt and schema). */
const TASK_INSTRUCTION_TOKENS = 2_000;
/** Per-message framing tokens of chat formats. */
const MESSAGE_FRAMING_TOKENS = 16;
/** The consensus judge sees the request and each candidate cut to this many characters, and answers a number. */
const JUDGE_EXCERPT_CHARS = 4_000;
const JUDGE_MAX_TOKENS = 8;

/**
 * The request's parameters as a paid model gets them: with max_tokens, LLM_DEFAULT_MAX_TOKENS when
 * the request names none, so what a call can cost is bounded by what the budget reserved for it.
 */
export function boundedParams(params: CompletionParams, price: LlmPrice, config: PlatformConfig): CompletionParams {
	if (isFree(price) || params.max_tokens !== undefined) return params;
	return { ...params, max_tokens: config.llm.defaultMaxTokens };
}

/** A text has at most as many tokens as bytes: byte-level tokenizers make no token smaller than a byte. */
const tokensAtMost = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * The most one target's answer to a plan can cost: every input byte a token, every allowed output
 * token, and for an analysis task on a chat model the one repair call it may need (which also reads
 * the first answer).
 */
export function worstCaseTargetUsd(plan: Plan, price: LlmPrice, config: PlatformConfig): number {
	if (isFree(price)) return 0;
	const output = boundedParams(plan.params, price, config).max_tokens!;
	const text = [plan.system ?? "", ...plan.messages.map(m => m.content), plan.task?.input ?? ""].join("");
	const input = tokensAtMost(text) + (plan.messages.length + 1) * MESSAGE_FRAMING_TOKENS + (plan.task ? TASK_INSTRUCTION_TOKENS : 0);
	const first = costUsd(price, { inputTokens: input, outputTokens: output });
	return plan.task ? first + costUsd(price, { inputTokens: input + output, outputTokens: output }) : first;
}

/** The consensus judge's call: the request and every candidate, each cut to an excerpt, and a short answer. */
export function worstCaseJudgeUsd(candidates: number, price: LlmPrice): number {
	const input = (candidates + 1) * JUDGE_EXCERPT_CHARS * 4 + TASK_INSTRUCTION_TOKENS;
	return costUsd(price, { inputTokens: input, outputTokens: JUDGE_MAX_TOKENS });
}

/** Every target may be called (fallback and race included), so the plan's worst case is their sum. */
export function worstCasePlanUsd(plan: Plan, priceOf: (target: Target) => LlmPrice, config: PlatformConfig): number {
	return plan.targets.reduce((sum, target) => sum + worstCaseTargetUsd(plan, priceOf(target), config), 0);
}
