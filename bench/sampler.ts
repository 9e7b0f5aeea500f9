/**
 * Sampler benchmark: does the optimizer's TPE sampler find better settings than random search with
 * the same number of trials? Runs both on synthetic objectives whose optimum is known, over many
 * seeds, and prints the mean regret (best value found minus the true optimum; lower is better).
 *
 *   node bench/sampler.ts [--seeds 30]
 */
import { createSampler } from "../services/optimizer/samplers/create-sampler.ts";
import type { Observation, SamplerName } from "../services/optimizer/samplers/sampler.ts";
import type { Configuration, Dimension } from "../services/optimizer/search-space.ts";
import { numberOption } from "./lib/options.ts";

const SEEDS = numberOption("seeds", 30);
const BUDGETS = [20, 40, 80];

interface Problem {
	name: string;
	dimensions: Dimension[];
	optimum: number;
	/** The value to minimise. */
	evaluate(c: Configuration): number;
}

const num = (name: string, min: number, max: number, step: number, int = false): Dimension => ({ kind: "numeric", name, min, max, step, int });

const PROBLEMS: Problem[] = [
	{
		// Branin-Hoo: three global minima of 0.397887 (at pi, 2.275 among them).
		name: "Branin (2 numeric)",
		dimensions: [num("x", -5, 10, 0.001), num("y", 0, 15, 0.001)],
		optimum: 0.397887,
		evaluate: ({ x, y }) => {
			const [a, b, c, r, s, t] = [1, 5.1 / (4 * Math.PI ** 2), 5 / Math.PI, 6, 10, 1 / (8 * Math.PI)];
			return a * (Number(y) - b * Number(x) ** 2 + c * Number(x) - r) ** 2 + s * (1 - t) * Math.cos(Number(x)) + s;
		},
	},
	{
		// An LLM-shaped landscape: quality peaks at temperature 0.3, top_p 0.9, 5 sentences, model "b".
		name: "LLM-like (model, temperature, top_p, sentences)",
		dimensions: [
			{ kind: "categorical", name: "model", values: ["a", "b", "c", "d"] },
			num("temperature", 0, 2, 0.01),
			num("top_p", 0, 1, 0.01),
			num("sentences", 1, 20, 1, true),
		],
		optimum: 0,
		evaluate: ({ model, temperature, top_p, sentences }) =>
			({ a: 0.3, b: 0, c: 0.5, d: 0.8 })[model as string]! +
			(Number(temperature) - 0.3) ** 2 +
			2 * (Number(top_p) - 0.9) ** 2 +
			0.02 * (Number(sentences) - 5) ** 2,
	},
	{
		// Sphere in four dimensions, optimum away from the centre of the box.
		name: "Shifted sphere (4 numeric)",
		dimensions: ["a", "b", "c", "d"].map(n => num(n, -5, 5, 0.01)),
		optimum: 0,
		evaluate: c => Object.values(c).reduce<number>((sum, v) => sum + (Number(v) - 1.5) ** 2, 0),
	},
];

function bestFound(problem: Problem, sampler: SamplerName, seed: number, budget: number): number {
	const instance = createSampler(sampler, { dimensions: problem.dimensions, seed, maxTrials: budget });
	const history: Observation[] = [];
	let best = Infinity;
	for (let trial = 0; trial < budget; trial++) {
		const configuration = instance.suggest(trial, history);
		if (!configuration) break;
		const loss = problem.evaluate(configuration);
		best = Math.min(best, loss);
		history.push({ configuration, loss });
	}
	return best - problem.optimum;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`Mean and median regret (best found - known optimum; lower is better) over ${SEEDS} seeds; same trial budget for both.\n`);
console.log("| objective | trials | random mean | TPE mean | random median | TPE median | TPE better on | verdict |");
console.log("|---|---|---|---|---|---|---|---|");
let losses = 0;
for (const problem of PROBLEMS) {
	for (const budget of BUDGETS) {
		const random: number[] = [];
		const tpe: number[] = [];
		for (let seed = 1; seed <= SEEDS; seed++) {
			random.push(bestFound(problem, "random", seed, budget));
			tpe.push(bestFound(problem, "tpe", seed, budget));
		}
		const wins = tpe.filter((t, i) => t < random[i]).length;
		const beats = mean(tpe) < mean(random);
		if (!beats) losses++;
		console.log(
			`| ${problem.name} | ${budget} | ${mean(random).toFixed(4)} | ${mean(tpe).toFixed(4)} | ${median(random).toFixed(4)} | ${median(tpe).toFixed(4)} | ${wins}/${SEEDS} seeds | ${beats ? "TPE better" : "random better"} |`
		);
	}
}
console.log(`\nBudget: TPE's mean regret below random search's at every (objective, trials) row -> ${losses === 0 ? "met" : `missed on ${losses} row(s)`}`);
