import { expect } from "chai";
import { bestEntry, dominates, meanScores, paretoFront, weightedLosses, type Scores } from "../../services/optimizer/objectives.ts";
import { shouldPrune } from "../../services/optimizer/pruner.ts";
import type { EarlyStopping, Objective } from "../../services/optimizer/study/definition.ts";

const quality: Objective = { name: "rougeL", metric: "rougeL", direction: "maximize", weight: 1 };
const cost: Objective = { name: "costUsd", metric: "costUsd", direction: "minimize", weight: 1 };
const latency: Objective = { name: "latencyMs", metric: "latencyMs", direction: "minimize", weight: 1 };

const entry = (label: string, rougeL: number, costUsd: number, latencyMs = 100) => ({ label, scores: { rougeL, costUsd, latencyMs } });

describe("optimizer objectives and Pareto front", () => {
	it("finds the non-dominated set of a constructed case, with mixed directions", () => {
		const entries = [
			entry("cheap-bad", 0.2, 0.001),
			entry("mid", 0.5, 0.004),
			entry("dominated-by-mid", 0.45, 0.005),
			entry("best-quality", 0.9, 0.02),
			entry("dominated-by-best", 0.9, 0.03),
			entry("free-worst", 0.1, 0),
			entry("dominated-by-free", 0.1, 0.0005),
			entry("mid-twin", 0.5, 0.004),
		];
		const front = paretoFront(entries, [quality, cost]).map(e => e.label);
		expect(front).to.deep.equal(["cheap-bad", "mid", "best-quality", "free-worst", "mid-twin"]);
	});

	it("with one objective the front is the entries tied for best", () => {
		const entries = [entry("a", 0.3, 0), entry("b", 0.7, 0.5), entry("c", 0.7, 0.1)];
		expect(paretoFront(entries, [quality]).map(e => e.label)).to.deep.equal(["b", "c"]);
	});

	it("adds a third objective and the front grows to the new trade-offs", () => {
		const entries = [entry("slow-cheap-good", 0.8, 0.001, 900), entry("fast-costly-good", 0.8, 0.01, 100), entry("slow-costly-bad", 0.3, 0.01, 900)];
		expect(paretoFront(entries, [quality, cost]).map(e => e.label)).to.deep.equal(["slow-cheap-good"]);
		expect(paretoFront(entries, [quality, cost, latency]).map(e => e.label)).to.deep.equal(["slow-cheap-good", "fast-costly-good"]);
	});

	it("domination needs at least as good everywhere and strictly better somewhere", () => {
		expect(dominates({ rougeL: 0.5, costUsd: 1 }, { rougeL: 0.5, costUsd: 1 }, [quality, cost])).to.equal(false);
		expect(dominates({ rougeL: 0.6, costUsd: 1 }, { rougeL: 0.5, costUsd: 1 }, [quality, cost])).to.equal(true);
		expect(dominates({ rougeL: 0.6, costUsd: 2 }, { rougeL: 0.5, costUsd: 1 }, [quality, cost])).to.equal(false);
		// A missing score is the worst possible value.
		expect(dominates({ rougeL: 0.1, costUsd: 1 }, { costUsd: 1 }, [quality, cost])).to.equal(true);
	});

	it("weights objectives after scaling each to [0, 1], so units do not matter", () => {
		const scores: Scores[] = [
			{ rougeL: 0.9, costUsd: 0.1 },
			{ rougeL: 0.5, costUsd: 0.0 },
		];
		expect(weightedLosses(scores, [quality, cost])).to.deep.equal([0.5, 0.5]);
		expect(weightedLosses(scores, [{ ...quality, weight: 3 }, cost])).to.deep.equal([0.25, 0.75]);
		expect(weightedLosses([{ rougeL: 0.4 }, { rougeL: 0.4 }], [quality])).to.deep.equal([0, 0]);
		// Tiny differences stay tiny instead of being stretched over the whole scale.
		const [a, b] = weightedLosses([{ rougeL: 0.702 }, { rougeL: 0.7 }], [quality]);
		expect(a).to.equal(0);
		expect(b).to.be.closeTo(0.002 / 0.0702, 1e-9);
	});

	it("best is the lowest weighted loss, the earliest on a tie, and on the front", () => {
		const entries = [entry("a", 0.5, 0.01), entry("b", 0.9, 0.02), entry("c", 0.2, 0)];
		expect(bestEntry(entries, [quality])!.label).to.equal("b");
		expect(bestEntry(entries, [{ ...quality, weight: 1 }, { ...cost, weight: 10 }])!.label).to.equal("c");
		expect(bestEntry([entry("x", 0.5, 0), entry("y", 0.5, 0)], [quality])!.label).to.equal("x");
		expect(bestEntry([], [quality])).to.equal(undefined);
	});

	it("averages scores per name", () => {
		expect(meanScores([{ a: 1, b: 4 }, { a: 3, b: 0 }])).to.deep.equal({ a: 2, b: 2 });
	});
});

describe("optimizer early stopping", () => {
	const rules: EarlyStopping = { enabled: true, afterExamples: 2, margin: 0.25, minTrials: 3 };
	const finished = [0.6, 0.7, 0.8, 0.65].map(v => [{ rougeL: v }, { rougeL: v }, { rougeL: v }]);

	it("prunes a trial clearly worse than the median on its first examples", () => {
		expect(shouldPrune([{ rougeL: 0.1 }, { rougeL: 0.2 }], finished, [quality], rules)).to.equal(true);
	});

	it("keeps a trial near or above the median", () => {
		expect(shouldPrune([{ rougeL: 0.66 }, { rougeL: 0.68 }], finished, [quality], rules)).to.equal(false);
		expect(shouldPrune([{ rougeL: 0.95 }, { rougeL: 0.9 }], finished, [quality], rules)).to.equal(false);
	});

	it("does not call a trial clearly worse for a difference that is small next to the scores", () => {
		const alike = [0.7, 0.701, 0.702].map(v => [{ rougeL: v }, { rougeL: v }, { rougeL: v }]);
		expect(shouldPrune([{ rougeL: 0.69 }, { rougeL: 0.69 }], alike, [quality], rules)).to.equal(false);
		expect(shouldPrune([{ rougeL: 0.5 }, { rougeL: 0.5 }], alike, [quality], rules)).to.equal(true);
	});

	it("never prunes before enough trials finished, or when disabled", () => {
		expect(shouldPrune([{ rougeL: 0 }, { rougeL: 0 }], finished.slice(0, 2), [quality], rules)).to.equal(false);
		expect(shouldPrune([{ rougeL: 0 }, { rougeL: 0 }], finished, [quality], { ...rules, enabled: false })).to.equal(false);
	});

	it("compares on the same first examples, not on the finished trials' whole means", () => {
		// Every finished trial was bad on the first two examples and good later.
		const lateBloomers = [0.9, 0.85, 0.95].map(v => [{ rougeL: 0.1 }, { rougeL: 0.1 }, { rougeL: v }, { rougeL: v }]);
		expect(shouldPrune([{ rougeL: 0.1 }, { rougeL: 0.12 }], lateBloomers, [quality], rules)).to.equal(false);
	});
});
