import { expect } from "chai";
import { BudgetExhausted, BudgetTracker } from "../../services/optimizer/budget.ts";
import { callSettings, completionRequest, DEFAULT_MAX_TOKENS, maxCallCostUsd, outputOf } from "../../services/optimizer/trial-request.ts";
import type { CompleteResult } from "../../shared/contracts/llm.ts";

const budget = { maxTrials: 10, maxCostUsd: 1, maxCalls: 3, maxWallSeconds: 60 };

function exhausted(action: () => void): BudgetExhausted {
	try {
		action();
	} catch (err) {
		if (err instanceof BudgetExhausted) return err;
		throw err;
	}
	throw new Error("expected BudgetExhausted");
}

describe("optimizer budget", () => {
	it("never lets reserved plus spent money pass maxCostUsd", () => {
		const tracker = new BudgetTracker({ ...budget, maxCalls: undefined }, { usd: 0, calls: 0, wallStartedAt: new Date() });
		tracker.reserve(0.4);
		tracker.reserve(0.4);
		// 0.8 reserved: a third call that could cost 0.4 could end at 1.2.
		expect(exhausted(() => tracker.reserve(0.4)).reason).to.equal("maxCostUsd");
		tracker.settle(0.4, 0.1, true);
		// Spent 0.1, reserved 0.4: 0.4 more fits exactly.
		tracker.reserve(0.4);
		expect(exhausted(() => tracker.reserve(0.2)).reason).to.equal("maxCostUsd");
		tracker.settle(0.4, 0.4, true);
		tracker.settle(0.4, 0.4, true);
		expect(tracker.spentUsd).to.be.closeTo(0.9, 1e-12);
		expect(tracker.calls).to.equal(3);
	});

	it("counts a resumed study's earlier spend and calls", () => {
		const tracker = new BudgetTracker(budget, { usd: 0.95, calls: 2, wallStartedAt: new Date() });
		expect(exhausted(() => tracker.reserve(0.06)).reason).to.equal("maxCostUsd");
		tracker.reserve(0.05);
		expect(exhausted(() => tracker.reserve(0)).reason).to.equal("maxCalls");
	});

	it("does not count a call that never reached a provider, and frees its reservation", () => {
		const tracker = new BudgetTracker(budget, { usd: 0, calls: 0, wallStartedAt: new Date() });
		for (let i = 0; i < 5; i++) {
			tracker.reserve(0.9);
			tracker.settle(0.9, 0, false);
		}
		expect(tracker.calls).to.equal(0);
		expect(tracker.spentUsd).to.equal(0);
	});

	it("stops at the wall-time budget counted from the first start", () => {
		const tracker = new BudgetTracker(budget, { usd: 0, calls: 0, wallStartedAt: new Date(Date.now() - 61_000) });
		expect(exhausted(() => tracker.checkTime()).reason).to.equal("maxWallSeconds");
		expect(exhausted(() => tracker.reserve(0)).reason).to.equal("maxWallSeconds");
	});
});

describe("optimizer trial requests", () => {
	const example = { input: "Le café coûte 3 €.", reference: "x" };

	it("builds an analysis task for summary studies with the configuration's knobs", () => {
		const settings = callSettings({ model: "local", sentences: 2 }, { temperature: 0 });
		const request = completionRequest({ type: "summary" }, settings, example, false);
		expect(request).to.deep.equal({ providers: ["local"], strategy: "single", params: { temperature: 0, sentences: 2 }, task: { types: ["summary"], input: example.input } });
	});

	it("fills the chosen prompt variant and always limits a paid model's output", () => {
		const task = { type: "prompt" as const, prompt: "Summarise: {{input}}", variants: { terse: "TL;DR {{input}} ({{input}})" }, system: "Be brief." };
		const plain = completionRequest(task, callSettings({ model: "openai" }, {}), example, true);
		expect(plain.prompt).to.equal(`Summarise: ${example.input}`);
		expect(plain.system).to.equal("Be brief.");
		expect(plain.params).to.deep.equal({ max_tokens: DEFAULT_MAX_TOKENS });
		const terse = completionRequest(task, callSettings({ model: "openai", promptVariant: "terse", max_tokens: 50 }, {}), example, true);
		expect(terse.prompt).to.equal(`TL;DR ${example.input} (${example.input})`);
		expect(terse.params).to.deep.equal({ max_tokens: 50 });
	});

	it("bounds a call's cost by every input byte a token and every allowed output token", () => {
		const request = completionRequest({ type: "prompt", prompt: "{{input}}" }, callSettings({ model: "openai", max_tokens: 100 }, {}), example, true);
		const bytes = Buffer.byteLength(example.input);
		expect(maxCallCostUsd({ input: 1, output: 2 }, request)).to.be.closeTo(((bytes + 32) * 1 + 100 * 2) / 1e6, 1e-15);
		expect(maxCallCostUsd({ input: 0, output: 0 }, request)).to.equal(0);
		const task = completionRequest({ type: "summary" }, callSettings({ model: "openai" }, {}), example, true);
		expect(maxCallCostUsd({ input: 1, output: 0 }, task)).to.be.above(bytes / 1e6);
		// A long-context tier applies once the input could pass its start, as the llm service charges it.
		const tiered = { input: 1, output: 2, above: { inputTokens: bytes, input: 10, output: 20 } };
		expect(maxCallCostUsd(tiered, request)).to.be.closeTo(((bytes + 32) * 10 + 100 * 20) / 1e6, 1e-15);
	});

	it("scores the analysis field a task asked for, else the plain output", () => {
		const result = (data: object | undefined, output: string): CompleteResult => ({
			output,
			results: [{ provider: "local", model: "extractive", output, data, usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, latencyMs: 1, cached: false }],
			usage: { inputTokens: 0, outputTokens: 0 },
			costUsd: 0,
			latencyMs: 1,
			cached: false,
		});
		expect(outputOf({ type: "summary" }, result({ summary: "S." }, "{json}"))).to.equal("S.");
		expect(outputOf({ type: "keywords" }, result({ keywords: ["a", "b"] }, "{json}"))).to.equal("a, b");
		expect(outputOf({ type: "prompt", prompt: "{{input}}" }, result(undefined, "free text"))).to.equal("free text");
	});
});
