import { expect } from "chai";
import { createSampler } from "../../services/optimizer/samplers/create-sampler.ts";
import type { Observation, SamplerName } from "../../services/optimizer/samplers/sampler.ts";
import { startupTrials } from "../../services/optimizer/samplers/tpe-sampler.ts";
import {
	configurationKey,
	defaultStep,
	gridSize,
	gridValues,
	levelCount,
	snap,
	spaceSize,
	type Configuration,
	type Dimension,
	type NumericDimension,
} from "../../services/optimizer/search-space.ts";
import { seededRandom } from "../../services/optimizer/seeded-random.ts";

const temperature: NumericDimension = { kind: "numeric", name: "temperature", min: 0, max: 1.5, step: 0.01, int: false };
const sentences: NumericDimension = { kind: "numeric", name: "sentences", min: 1, max: 8, step: 1, int: true };
const model: Dimension = { kind: "categorical", name: "model", values: ["local", "openai:gpt-4o-mini", "anthropic"] };

/** Runs a sampler for `trials` trials against `loss`, as a study would. */
function runSampler(name: SamplerName, dimensions: Dimension[], seed: number, trials: number, loss: (c: Configuration) => number = () => 0): Configuration[] {
	const sampler = createSampler(name, { dimensions, seed, maxTrials: trials });
	const history: Observation[] = [];
	for (let trial = 0; trial < trials; trial++) {
		const configuration = sampler.suggest(trial, history);
		if (!configuration) break;
		history.push({ configuration, loss: loss(configuration) });
	}
	return history.map(o => o.configuration);
}

describe("optimizer search space", () => {
	it("quantizes numeric ranges and snaps values onto them", () => {
		expect(levelCount(temperature)).to.equal(151);
		expect(levelCount(sentences)).to.equal(8);
		expect(snap(temperature, 0.7349)).to.equal(0.73);
		expect(snap(temperature, -3)).to.equal(0);
		expect(snap(temperature, 99)).to.equal(1.5);
		expect(snap(sentences, 4.6)).to.equal(5);
		// No float noise in the values: 0.07 is 0.07, not 0.07000000000000001.
		expect(snap(temperature, 0.07)).to.equal(0.07);
	});

	it("picks round default steps of about a hundredth of the range", () => {
		expect(defaultStep(0, 1.5)).to.equal(0.01);
		expect(defaultStep(0, 1)).to.equal(0.01);
		expect(defaultStep(0, 2000)).to.equal(10);
		expect(defaultStep(3, 3)).to.equal(1);
	});

	it("grids every level of a short range and five spread levels of a long one", () => {
		expect(gridValues(sentences)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
		expect(gridValues(temperature)).to.deep.equal([0, 0.38, 0.75, 1.13, 1.5]);
		expect(gridSize([model, sentences])).to.equal(24);
		expect(spaceSize([model, temperature, sentences])).to.equal(3 * 151 * 8);
	});

	it("keys configurations by their values, whatever the key order", () => {
		expect(configurationKey({ a: 1, b: "x" })).to.equal(configurationKey({ b: "x", a: 1 }));
		expect(configurationKey({ a: 1 })).to.not.equal(configurationKey({ a: "1" }));
	});

	it("repeats its random sequence for the same seed parts and only for them", () => {
		const draws = (...parts: (string | number)[]) => Array.from({ length: 5 }, seededRandom(...parts).next);
		expect(draws(7, "tpe", 3)).to.deep.equal(draws(7, "tpe", 3));
		expect(draws(7, "tpe", 3)).to.not.deep.equal(draws(7, "tpe", 4));
		expect(draws(7, "tpe", 3)).to.not.deep.equal(draws(8, "tpe", 3));
		for (const value of draws(1)) expect(value).to.be.within(0, 1);
	});
});

describe("optimizer samplers", () => {
	for (const name of ["grid", "random", "tpe"] as const) {
		it(`${name}: same seed, same trials; another seed, other trials`, () => {
			const loss = (c: Configuration) => Math.abs(Number(c.sentences) - 6) + Number(c.temperature);
			const first = runSampler(name, [model, temperature, sentences], 11, 15, loss);
			expect(runSampler(name, [model, temperature, sentences], 11, 15, loss)).to.deep.equal(first);
			expect(runSampler(name, [model, temperature, sentences], 12, 15, loss)).to.not.deep.equal(first);
		});

		it(`${name}: never suggests a configuration twice, and stops when the space is exhausted`, () => {
			const dimensions = [model, { ...sentences, max: 4 }];
			const suggested = runSampler(name, dimensions, 5, 50, c => Number(c.sentences));
			expect(suggested).to.have.length(12);
			expect(new Set(suggested.map(configurationKey)).size).to.equal(12);
		});

		it(`${name}: suggests only values the space allows`, () => {
			for (const c of runSampler(name, [model, temperature, sentences], 3, 30, c => Number(c.temperature))) {
				expect(model.values).to.include(c.model);
				expect(c.temperature).to.be.within(0, 1.5);
				expect(Number(c.temperature) * 100).to.be.closeTo(Math.round(Number(c.temperature) * 100), 1e-9);
				expect(Number.isInteger(c.sentences)).to.equal(true);
				expect(c.sentences).to.be.within(1, 8);
			}
		});
	}

	it("grid: visits the whole grid, spread out, when the budget is smaller than it", () => {
		const suggested = runSampler("grid", [sentences], 9, 4);
		expect(suggested.map(c => c.sentences)).to.not.deep.equal([1, 2, 3, 4]);
		expect(runSampler("grid", [model, sentences], 9, 100)).to.have.length(24);
	});

	it("an empty space has exactly one configuration", () => {
		for (const name of ["grid", "random", "tpe"] as const) expect(runSampler(name, [], 1, 5)).to.deep.equal([{}]);
	});

	it("tpe: starts at random, then concentrates where the loss is low", () => {
		expect(startupTrials(20)).to.equal(5);
		expect(startupTrials(4)).to.equal(3);
		expect(startupTrials(400)).to.equal(10);
		const x: NumericDimension = { kind: "numeric", name: "x", min: 0, max: 10, step: 0.01, int: false };
		const loss = (c: Configuration) => (Number(c.x) - 7.3) ** 2;
		let tpeDistance = 0;
		let randomDistance = 0;
		for (let seed = 1; seed <= 10; seed++) {
			const late = (name: SamplerName) => runSampler(name, [x], seed, 30, loss).slice(20);
			tpeDistance += late("tpe").reduce((sum, c) => sum + Math.abs(Number(c.x) - 7.3), 0);
			randomDistance += late("random").reduce((sum, c) => sum + Math.abs(Number(c.x) - 7.3), 0);
		}
		expect(tpeDistance).to.be.below(randomDistance / 3);
	});

	it("tpe: treats failed trials as the worst and still suggests", () => {
		const sampler = createSampler("tpe", { dimensions: [sentences, model], seed: 2, maxTrials: 12 });
		const history: Observation[] = [];
		for (let trial = 0; trial < 12; trial++) {
			const configuration = sampler.suggest(trial, history)!;
			expect(configuration).to.not.equal(undefined);
			history.push({ configuration, loss: configuration.model === "anthropic" ? null : Number(configuration.sentences) });
		}
		const late = history.slice(8).map(o => o.configuration.model);
		expect(late.filter(m => m === "anthropic").length).to.be.below(late.length);
	});
});
