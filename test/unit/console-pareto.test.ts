import { expect } from "chai";
import { paretoFront, plotTrials, ticks, type TrialPoint } from "../../console/src/pareto.ts";

const p = (number: number, cost: number, score: number): TrialPoint => ({ number, cost, score });

describe("console: Pareto front and chart geometry", () => {
	it("keeps the trials no other trial beats on both cost and score, cheapest first", () => {
		const trials = [p(0, 0.03, 0.6), p(1, 0.01, 0.4), p(2, 0.02, 0.3), p(3, 0.05, 0.6), p(4, 0.04, 0.8), p(5, 0.01, 0.2)];
		expect(paretoFront(trials).map(t => t.number)).to.deep.equal([1, 0, 4]);
	});

	it("counts equal trials once and keeps free trials that score best", () => {
		expect(paretoFront([p(0, 0, 0.5), p(1, 0, 0.5), p(2, 0, 0.4)]).map(t => t.number)).to.deep.equal([0]);
		expect(paretoFront([p(0, 0, 0.9), p(1, 0.2, 0.5)]).map(t => t.number)).to.deep.equal([0]);
		expect(paretoFront([])).to.deep.equal([]);
	});

	it("ignores trials without a finite cost or score", () => {
		expect(paretoFront([p(0, Number.NaN, 1), p(1, 0.1, Number.POSITIVE_INFINITY), p(2, 0.1, 0.2)]).map(t => t.number)).to.deep.equal([2]);
	});

	it("places cheaper trials left and better ones higher, inside the margins", () => {
		const area = { width: 200, height: 100, margin: { top: 10, right: 10, bottom: 20, left: 30 } };
		const plot = plotTrials([p(0, 0.01, 0.2), p(1, 0.04, 0.8), p(2, 0.04, 0.1)], area);
		const [cheap, good, bad] = plot.dots;
		expect(cheap.x).to.be.lessThan(good.x);
		expect(good.y).to.be.lessThan(cheap.y);
		expect(good.x).to.equal(bad.x);
		for (const d of plot.dots) {
			expect(d.x).to.be.within(30, 190);
			expect(d.y).to.be.within(10, 80);
		}
		expect(plot.dots.map(d => d.onFront)).to.deep.equal([true, true, false]);
		// A staircase: from the cheap point across to the better one's cost, then up to its score.
		expect(plot.frontPath).to.equal(`M${cheap.x},${cheap.y}H${good.x}V${good.y}`);
	});

	it("still draws when every trial costs nothing (the offline analyzer)", () => {
		const plot = plotTrials([p(0, 0, 0.3), p(1, 0, 0.5)], { width: 100, height: 100, margin: { top: 0, right: 0, bottom: 0, left: 0 } });
		for (const d of plot.dots) expect(Number.isFinite(d.x) && Number.isFinite(d.y)).to.equal(true);
		expect(plot.xTicks.map(t => t.value)).to.deep.equal(ticks(0, 0, 5));
		expect(new Set(plot.xTicks.map(t => t.value)).size).to.equal(5);
	});
});
