import { expect } from "chai";
import { parseStudyDefinition, type ParseOptions } from "../../services/optimizer/study/parse-definition.ts";
import { compileJsonSchema } from "../../services/optimizer/scorers/json-metrics.ts";

const options: ParseOptions = {
	providers: [
		{ name: "local", configured: true },
		{ name: "openai", configured: true },
		{ name: "anthropic", configured: false },
	],
	resolveDocument: async id => {
		if (id === "doc-1") return "Text of the first document.";
		if (id === "empty") return "   ";
		if (id === "huge") return "x".repeat(20_001);
		throw new Error("Document not found");
	},
	checkJsonSchema: async schema => void (await compileJsonSchema(schema)),
};

const valid = () => ({
	name: "summaries",
	task: { type: "summary" },
	dataset: [
		{ input: "One. Two. Three.", reference: "One." },
		{ input: "Four. Five.", reference: "Five." },
	],
	space: { model: ["local"], sentences: { min: 1, max: 8 } },
	objectives: [{ metric: "rougeL" }],
	seed: 7,
});

/** The problems a definition is rejected with (fails the test when it is accepted). */
async function problems(definition: unknown): Promise<string[]> {
	try {
		await parseStudyDefinition(definition, options);
	} catch (err) {
		const e = err as { code: number; type: string; message: string; data: { problems: string[] } };
		expect(e.code).to.equal(422);
		expect(e.type).to.equal("VALIDATION_ERROR");
		expect(e.message).to.match(/^Invalid study: /);
		return e.data.problems;
	}
	throw new Error("expected the definition to be rejected");
}

describe("optimizer study definitions", () => {
	it("normalises a valid study with its defaults", async () => {
		const definition = await parseStudyDefinition(valid(), options);
		expect(definition.dimensions).to.deep.equal([
			{ kind: "categorical", name: "model", values: ["local"] },
			{ kind: "numeric", name: "sentences", min: 1, max: 8, step: 1, int: true },
		]);
		expect(definition.objectives).to.deep.equal([{ name: "rougeL", metric: "rougeL", direction: "maximize", weight: 1 }]);
		expect(definition.sampler).to.equal("tpe");
		expect(definition.budget).to.deep.equal({ maxTrials: 20, maxCostUsd: 1, maxCalls: undefined, maxWallSeconds: 3600 });
		expect(definition.repeats).to.equal(1);
		expect(definition.seed).to.equal(7);
		// Two examples are too few to judge a trial early.
		expect(definition.earlyStopping.enabled).to.equal(false);
	});

	it("draws a seed when none is given and keeps it", async () => {
		const { seed: _seed, ...noSeed } = valid();
		const definition = await parseStudyDefinition(noSeed, options);
		expect(Number.isSafeInteger(definition.seed)).to.equal(true);
	});

	it("reads documents named by id into the dataset", async () => {
		const definition = await parseStudyDefinition({ ...valid(), dataset: [{ documentId: "doc-1", reference: "x" }] }, options);
		expect(definition.dataset).to.deep.equal([{ documentId: "doc-1", reference: "x", input: "Text of the first document." }]);
	});

	it("rejects what is not a study at all", async () => {
		expect(await problems(null)).to.deep.equal(["study must be a JSON object"]);
		expect(await problems([valid()])).to.deep.equal(["study must be a JSON object"]);
	});

	it("names each problem with the path of its field", async () => {
		const found = await problems({
			task: { type: "translate" },
			dataset: [],
			space: { model: [], temperature: { min: 1, max: 0.5 }, colour: ["red"] },
			objectives: [{ metric: "accuracy" }],
			sampler: "annealing",
			budget: { maxTrials: 0, maxCostUsd: -1 },
			repeats: 1.5,
		});
		expect(found).to.include.members([
			"task.type must be one of summary, keywords, prompt",
			'dataset must be a non-empty array of examples like { "input": "...", "reference": "..." }',
			"space.colour is not a known field (expected one of model, promptVariant, temperature, top_p, max_tokens, sentences, keywords)",
			"space.model must be a non-empty array of strings",
			"space.temperature min (1) is greater than max (0.5)",
			"sampler must be one of grid, random, tpe",
			"budget.maxTrials must be a whole number from 1 to 500",
			"budget.maxCostUsd must be a number from 0 to 10000",
			"repeats must be a whole number from 1 to 10",
		]);
		expect(found.find(p => p.startsWith("objectives[0].metric must be one of exactMatch"))).to.not.equal(undefined);
	});

	it("checks the dataset: one of input or documentId, sizes, readable documents", async () => {
		const found = await problems({
			...valid(),
			dataset: [
				{ input: "a", documentId: "doc-1" },
				{ reference: "no input" },
				{ input: "x".repeat(20_001) },
				{ input: 42 },
				{ documentId: "missing" },
				{ documentId: "empty" },
				{ documentId: "huge" },
				"just text",
				{ input: "fine", keywords: [] },
			],
			objectives: [{ metric: "jsonValid" }],
		});
		expect(found).to.include.members([
			"dataset[0] must have exactly one of input (the text) or documentId (an uploaded document)",
			"dataset[1] must have exactly one of input (the text) or documentId (an uploaded document)",
			"dataset[2].input is 20001 characters long; at most 20000 are allowed",
			"dataset[3].input must be a non-empty string",
			"dataset[7] must be an object",
			"dataset[8].keywords must be a non-empty array of strings",
		]);
		const documents = await problems({ ...valid(), dataset: [{ documentId: "missing" }, { documentId: "empty" }, { documentId: "huge" }], objectives: [{ metric: "jsonValid" }] });
		expect(documents).to.deep.equal([
			"dataset[0].documentId cannot be used: Document not found",
			"dataset[1].documentId names a document without text",
			"dataset[2].documentId names a document of 20001 characters; an example may have at most 20000",
		]);
		const many = Array.from({ length: 101 }, () => ({ input: "x" }));
		expect(await problems({ ...valid(), dataset: many, objectives: [{ metric: "jsonValid" }] })).to.deep.equal(["dataset has 101 examples; at most 100 are allowed"]);
	});

	it("checks that metrics have what they compare with", async () => {
		const dataset = [{ input: "a", reference: "a" }, { input: "b" }];
		const found = await problems({
			...valid(),
			dataset,
			objectives: [{ metric: "rougeL" }, { metric: "containsAll" }, { metric: "regex", pattern: "(unclosed" }, { metric: "regex", pattern: "a", flags: "gg" }],
		});
		expect(found).to.include.members([
			"objectives[0] uses rougeL, which compares with a reference, but dataset[1] has no reference",
			"objectives[1] uses containsAll: give terms here, or keywords in every dataset example (dataset[0] has none)",
			"objectives[3].flags may only combine the regular expression flags i, m, s and u",
			'objectives score "regex" twice; give one of them a distinct name',
		]);
		expect(found.find(p => p.startsWith("objectives[2].pattern is not a valid regular expression"))).to.not.equal(undefined);
		expect(await problems({ ...valid(), objectives: [{ metric: "lengthWithin", min: 10, max: 5 }, { metric: "judge", judge: "local" }, { metric: "lengthWithin", name: "len" }] })).to.deep.equal([
			"objectives[0] min (10) is greater than max (5)",
			"objectives[1].judge must be a chat model; the local analyzer cannot grade",
			"objectives[2] lengthWithin needs min, max or both",
		]);
		expect(await problems({ ...valid(), objectives: [1, 2, 3, 4, 5, 6] })).to.deep.equal(["objectives has 6 entries; at most 5 are allowed"]);
		expect(await problems({ ...valid(), objectives: [{ metric: "rougeL", name: "costUsd" }, { metric: "rouge1", direction: "up", weight: 0 }] })).to.deep.equal([
			"objectives[0].name cannot be costUsd: every trial reports that score itself",
			"objectives[1].direction must be maximize or minimize",
			"objectives[1].weight must be a number above 0 and at most 1000",
		]);
	});

	it("checks JSON Schemas once the rest is valid", async () => {
		const found = await problems({ ...valid(), objectives: [{ metric: "jsonSchema", schema: { type: "object", requird: ["a"] } }] });
		expect(found).to.have.length(1);
		expect(found[0]).to.match(/^objectives\[0\]\.schema is not a valid JSON Schema: strict mode: unknown keyword: "requird"/);
	});

	it("checks models against the platform's providers", async () => {
		const found = await problems({ ...valid(), space: { model: ["local", "mystery:model-1", "anthropic:claude", "has space", "fast", "openai:%2e%2e/x", "openai:models/../../x"] } });
		const notAModelName = "is not a model name: letters, digits and . _ : / - only, with no '.' or '..' path segment";
		expect(found).to.deep.equal([
			'space.model[1] names provider "mystery", which is not one of local, openai, anthropic',
			'space.model[2] names provider "anthropic", which is not configured on this platform (its API key is not set)',
			`space.model[3] "has space" ${notAModelName}`,
			'space.model[4] names provider "fast", which is not one of local, openai, anthropic',
			`space.model[5] "openai:%2e%2e/x" ${notAModelName}`,
			`space.model[6] "openai:models/../../x" ${notAModelName}`,
		]);
	});

	it("keeps knobs to the task they tune and prompts to chat models", async () => {
		expect(await problems({ ...valid(), task: { type: "keywords" }, objectives: [{ metric: "containsAny", terms: ["a"] }] })).to.deep.equal([
			"space.sentences tunes the local analyzer's summary task; this study's task is keywords",
		]);
		const prompt = await problems({ ...valid(), task: { type: "prompt", prompt: "Summarise this" }, space: { model: ["local"], promptVariant: ["short"] } });
		expect(prompt).to.deep.equal([
			"task.prompt must contain {{input}} where the example's input goes",
			"space.model[0] the local analyzer answers summary and keywords tasks, not free-form prompts",
			'space.promptVariant names "short", which task.variants does not define',
		]);
		expect(await problems({ ...valid(), task: { type: "summary", prompt: "{{input}}" } })).to.deep.equal(["task.prompt applies only to task type prompt (this task is summary)"]);
	});

	it("checks numeric ranges against what each parameter accepts", async () => {
		const found = await problems({
			...valid(),
			space: {
				temperature: { min: 0, max: 3 },
				top_p: [0.5, 0.5],
				max_tokens: { min: 1.5, max: 10 },
				sentences: { min: 1, max: 8, int: false },
			},
		});
		expect(found).to.deep.equal([
			"space.temperature min and max must be numbers from 0 to 2",
			"space.top_p lists the same value twice",
			"space.max_tokens min and max must be whole numbers from 1 to 32768",
			"space.sentences.int cannot be false: sentences takes whole numbers",
		]);
		expect(await problems({ ...valid(), space: { temperature: { min: 0, max: 1, step: 0 } } })).to.deep.equal([
			"space.temperature.step must be a positive number no larger than max - min",
		]);
	});

	it("refuses studies that would make too many calls, and fixed params that clash with the space", async () => {
		const many = Array.from({ length: 100 }, () => ({ input: "x", reference: "x" }));
		expect(await problems({ ...valid(), dataset: many, budget: { maxTrials: 500 }, repeats: 2 })).to.deep.equal([
			"budget.maxTrials x examples x repeats is 100000 calls; at most 50000 are allowed",
		]);
		expect(await problems({ ...valid(), params: { sentences: 3, color: 1, temperature: 9 } })).to.deep.equal([
			"params.sentences is also a dimension of space; give it in one place",
			"params.color is not a parameter (expected one of temperature, top_p, max_tokens, sentences, keywords)",
			"params.temperature must be a number from 0 to 2",
		]);
	});

	it("summarises many problems in its message and lists them all", async () => {
		try {
			await parseStudyDefinition({ task: 1, dataset: 2, objectives: 3, space: 4, budget: 5, seed: -1, extra: true }, options);
			expect.fail("accepted");
		} catch (err) {
			const e = err as { message: string; data: { problems: string[] } };
			expect(e.data.problems.length).to.be.above(5);
			expect(e.message).to.match(/\(and \d+ more\)$/);
		}
	});
});
