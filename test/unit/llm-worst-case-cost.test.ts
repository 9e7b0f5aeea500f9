import { expect } from "chai";
import { ConfigError, loadConfig } from "../../shared/config.ts";
import type { Plan } from "../../services/llm/plan.ts";
import { boundedParams, worstCaseJudgeUsd, worstCasePlanUsd, worstCaseTargetUsd } from "../../services/llm/worst-case-cost.ts";

const PAID = { input: 1, output: 2 };
const FREE = { input: 0, output: 0 };
const config = loadConfig({ LLM_DEFAULT_MAX_TOKENS: "1000" });

function chatPlan(content: string, params: Plan["params"] = {}): Plan {
	return { strategy: "single", targets: [{ provider: "openai", model: "m" }], messages: [{ role: "user", content }], params, cacheable: false };
}

describe("llm worst-case cost: what a request reserves before calling", () => {
	it("a chat call: every input byte a token plus framing, every allowed output token", () => {
		const plan = chatPlan("héllo", { max_tokens: 100 });
		const inputTokens = Buffer.byteLength("héllo") + 2 * 16;
		expect(worstCaseTargetUsd(plan, PAID, config)).to.be.closeTo((inputTokens * 1 + 100 * 2) / 1e6, 1e-15);
		expect(worstCaseTargetUsd(plan, FREE, config)).to.equal(0);
	});

	it("a paid call without max_tokens is bounded by LLM_DEFAULT_MAX_TOKENS, which it is also sent; a free one is left alone", () => {
		expect(boundedParams({ temperature: 0 }, PAID, config)).to.deep.equal({ temperature: 0, max_tokens: 1000 });
		expect(boundedParams({ max_tokens: 5 }, PAID, config)).to.deep.equal({ max_tokens: 5 });
		expect(boundedParams({}, FREE, config)).to.deep.equal({});
		expect(worstCaseTargetUsd(chatPlan("x"), PAID, config)).to.be.closeTo(((1 + 32) * 1 + 1000 * 2) / 1e6, 1e-15);
	});

	it("LLM_DEFAULT_MAX_TOKENS defaults to 4096 and refuses what is not a whole number from 1 to 1,000,000", () => {
		expect(loadConfig({}).llm.defaultMaxTokens).to.equal(4096);
		for (const bad of ["0", "-5", "1.5", "2000000", "lots"]) expect(() => loadConfig({ LLM_DEFAULT_MAX_TOKENS: bad }), bad).to.throw(ConfigError, /LLM_DEFAULT_MAX_TOKENS/);
	});

	it("an analysis task also reserves its one repair call, which reads the first answer", () => {
		const task: Plan = { ...chatPlan("", { max_tokens: 100 }), messages: [], task: { types: ["summary"], input: "abc" } };
		const input = 3 + 16 + 2_000;
		expect(worstCaseTargetUsd(task, PAID, config)).to.be.closeTo((input * 1 + 100 * 2 + (input + 100) * 1 + 100 * 2) / 1e6, 1e-15);
	});

	it("every target of a plan may be called (fallback and race too), and a consensus judge reads every candidate", () => {
		const plan: Plan = { ...chatPlan("x", { max_tokens: 10 }), strategy: "fallback", targets: [{ provider: "a", model: "1" }, { provider: "b", model: "2" }] };
		const one = worstCaseTargetUsd(plan, PAID, config);
		expect(worstCasePlanUsd(plan, t => (t.provider === "a" ? PAID : FREE), config)).to.equal(one);
		expect(worstCasePlanUsd(plan, () => PAID, config)).to.be.closeTo(2 * one, 1e-15);
		expect(worstCaseJudgeUsd(3, PAID)).to.be.above(worstCaseJudgeUsd(2, PAID));
	});
});
