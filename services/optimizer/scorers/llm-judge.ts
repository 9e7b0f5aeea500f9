import type { CompleteParams } from "../../../shared/contracts/llm.ts";
import type { Example, Objective } from "../study/definition.ts";

const DEFAULT_CRITERIA = "How well the answer does what the input asks: correct, complete, concise, and faithful to the input.";
/** Enough for "10" and a stray word; the grade must be cheap next to the call it grades. */
const GRADE_MAX_TOKENS = 8;

/** The llm.complete request that asks the judge model to grade one output from 1 to 10. */
export function judgeRequest(objective: Objective, example: Example, output: string): CompleteParams {
	const sections = [
		"You grade answers produced by another model. Judge only by the criteria.",
		`Criteria: ${objective.criteria ?? DEFAULT_CRITERIA}`,
		`<input>\n${example.input}\n</input>`,
		example.reference !== undefined ? `<reference_answer>\n${example.reference}\n</reference_answer>` : "",
		`<answer>\n${output}\n</answer>`,
		"Reply with one whole number from 1 (useless) to 10 (perfect) and nothing else.",
	];
	return {
		providers: [objective.judge!],
		strategy: "single",
		prompt: sections.filter(Boolean).join("\n\n"),
		params: { temperature: 0, max_tokens: GRADE_MAX_TOKENS },
	};
}

/** The judge's grade scaled to [0, 1]; a reply without a grade from 1 to 10 scores 0. */
export function parseGrade(reply: string): number {
	const match = /\b(10|[1-9])\b/.exec(reply);
	return match ? (Number(match[1]) - 1) / 9 : 0;
}
