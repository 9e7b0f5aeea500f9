import { expect } from "chai";
import { parseStudyDefinition } from "../../services/optimizer/study/parse-definition.ts";

const options = { providers: [{ name: "local", configured: true }], resolveDocument: async () => "", checkJsonSchema: async () => {} };

const study = (overrides: Record<string, unknown>) => ({
	task: { type: "summary" },
	dataset: [{ input: "One. Two.", reference: "One." }],
	space: { model: ["local"] },
	objectives: [{ metric: "rougeL" }],
	...overrides,
});

async function problemsOf(definition: unknown): Promise<string[]> {
	const err = await parseStudyDefinition(definition, options).then(
		() => undefined,
		e => e
	);
	expect(err, "refused").to.include({ code: 422, type: "VALIDATION_ERROR" });
	return err.data.problems;
}

/** A study is parsed by hand (its problems name nested paths), so its numbers are walked here rather than in the OpenAPI sweep. */
describe("optimizer: every number of a study has a range", () => {
	const HUGE = 1e22;
	const cases: [string, Record<string, unknown>][] = [
		["budget.maxTrials", { budget: { maxTrials: HUGE } }],
		["budget.maxCostUsd", { budget: { maxCostUsd: HUGE } }],
		["budget.maxCalls", { budget: { maxCalls: HUGE } }],
		["budget.maxWallSeconds", { budget: { maxWallSeconds: HUGE } }],
		["repeats", { repeats: HUGE }],
		["seed", { seed: HUGE }],
		["earlyStopping.minTrials", { earlyStopping: { minTrials: HUGE } }],
		["earlyStopping.margin", { earlyStopping: { margin: HUGE } }],
		["objectives[0].weight", { objectives: [{ metric: "rougeL", weight: HUGE }] }],
		["objectives[0].max", { objectives: [{ metric: "lengthWithin", max: HUGE }] }],
		["objectives[0].min", { objectives: [{ metric: "lengthWithin", min: HUGE }] }],
		["space.sentences", { space: { model: ["local"], sentences: { min: 1, max: HUGE } } }],
	];
	for (const [path, overrides] of cases) {
		it(`refuses ${path} = 1e22, naming it`, async () => {
			const problems = await problemsOf(study(overrides));
			expect(problems.some(p => p.startsWith(path)), problems.join("; ")).to.equal(true);
		});
	}
});
