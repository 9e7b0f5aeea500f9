import { expect } from "chai";
import {
	bleu,
	containsAll,
	containsAny,
	exactMatch,
	lengthWithin,
	levenshteinSimilarity,
	regexMatch,
	words,
} from "../../services/optimizer/scorers/text-metrics.ts";
import { rougeScore } from "../../services/optimizer/scorers/rouge.ts";
import { compileJsonSchema, jsonSchemaConformance, jsonValid } from "../../services/optimizer/scorers/json-metrics.ts";
import { createOutputScorer } from "../../services/optimizer/scorers/score-output.ts";
import { compileUserRegex } from "../../services/optimizer/scorers/user-regex.ts";
import { judgeRequest, parseGrade } from "../../services/optimizer/scorers/llm-judge.ts";
import type { Objective } from "../../services/optimizer/study/definition.ts";

const objective = (o: Partial<Objective> & Pick<Objective, "metric">): Objective => ({ name: o.metric, direction: "maximize", weight: 1, ...o });

describe("optimizer scorers", () => {
	it("tokenizes into lower-case words of any script, dropping punctuation", () => {
		expect(words("Hello, World! Ça va? 東京 2024")).to.deep.equal(["hello", "world", "ça", "va", "東京", "2024"]);
		expect(words("  ...  ")).to.deep.equal([]);
	});

	it("exactMatch ignores case and whitespace unless asked to mind case", () => {
		expect(exactMatch("  Paris\n", "paris")).to.equal(1);
		expect(exactMatch("New   York", "new york")).to.equal(1);
		expect(exactMatch("Paris", "paris", true)).to.equal(0);
		expect(exactMatch("Paris.", "Paris")).to.equal(0);
	});

	it("regex matches anywhere, and gives the same answer every time", async () => {
		const pattern = await compileUserRegex("\\d{4}-\\d{2}-\\d{2}");
		expect(regexMatch("due 2024-05-01 at noon", pattern)).to.equal(1);
		expect(regexMatch("due 2024-05-01 at noon", pattern)).to.equal(1);
		expect(regexMatch("due next week", pattern)).to.equal(0);
	});

	it("containsAll is keyword coverage and containsAny any hit, case-insensitive", () => {
		expect(containsAll("Budget, SCHOOLS and roads", ["budget", "schools", "taxes", "mayor"])).to.equal(0.5);
		expect(containsAll("anything", [])).to.equal(1);
		expect(containsAny("The Mayor spoke", ["mayor", "council"])).to.equal(1);
		expect(containsAny("nobody spoke", ["mayor", "council"])).to.equal(0);
	});

	it("jsonValid accepts JSON, also inside a Markdown fence, and nothing else", () => {
		expect(jsonValid('{"a": 1}')).to.equal(1);
		expect(jsonValid('```json\n{"a": [1, 2]}\n```')).to.equal(1);
		expect(jsonValid("[1, 2,]")).to.equal(0);
		expect(jsonValid("Sure! {\"a\": 1}")).to.equal(0);
		expect(jsonValid("")).to.equal(0);
	});

	it("jsonSchema checks conformance and rejects a schema with a misspelt keyword", async () => {
		const validate = await compileJsonSchema({ type: "object", required: ["title"], properties: { title: { type: "string" } } });
		expect(jsonSchemaConformance('{"title": "x"}', validate)).to.equal(1);
		expect(jsonSchemaConformance('{"title": 3}', validate)).to.equal(0);
		expect(jsonSchemaConformance("not json", validate)).to.equal(0);
		let message = "";
		await compileJsonSchema({ type: "object", requird: ["x"] }).catch(err => (message = err.message));
		expect(message).to.match(/unknown keyword: "requird"/);
	});

	it("lengthWithin is 1 inside the bounds and falls off linearly outside", () => {
		expect(lengthWithin("one two three", { min: 2, max: 4, unit: "words" })).to.equal(1);
		expect(lengthWithin("one", { min: 2, unit: "words" })).to.equal(0.5);
		expect(lengthWithin("a b c d e f", { max: 4, unit: "words" })).to.equal(0.5);
		expect(lengthWithin("x".repeat(100), { max: 10, unit: "chars" })).to.equal(0);
		expect(lengthWithin("héllo", { min: 5, max: 5, unit: "chars" })).to.equal(1);
	});

	it("levenshtein similarity is 1 - distance / longer length", () => {
		expect(levenshteinSimilarity("kitten", "sitting")).to.be.closeTo(1 - 3 / 7, 1e-12);
		expect(levenshteinSimilarity("same", "same")).to.equal(1);
		expect(levenshteinSimilarity("", "")).to.equal(1);
		expect(levenshteinSimilarity("abc", "")).to.equal(0);
	});

	it("ROUGE-1/2/L agree with the reference implementation on a known pair", async () => {
		const reference = "The cat was found under the bed.";
		const candidate = "The cat was under the bed";
		// rouge-score: R1 P=6/6 R=6/7; R2 P=4/5 R=4/6; L = LCS 6 -> same as R1.
		expect(await rougeScore("rouge1", candidate, reference)).to.be.closeTo(12 / 13, 1e-12);
		expect(await rougeScore("rouge2", candidate, reference)).to.be.closeTo(8 / 11, 1e-12);
		expect(await rougeScore("rougeL", candidate, reference)).to.be.closeTo(12 / 13, 1e-12);
		// Summary-level LCS: sentences in another order still match sentence by sentence.
		expect(await rougeScore("rougeL", "Gamma delta. Alpha beta.", "Alpha beta. Gamma delta.")).to.equal(1);
		expect(await rougeScore("rouge2", "alpha beta", "gamma delta")).to.equal(0);
	});

	it("ROUGE scores an empty or punctuation-only output 0 instead of throwing", async () => {
		expect(await rougeScore("rougeL", "", "a reference")).to.equal(0);
		expect(await rougeScore("rouge1", "...", "a reference")).to.equal(0);
		expect(await rougeScore("rouge2", "one", "one two")).to.equal(0);
	});

	it("BLEU: 1 for a copy, 0 without a shared word, the brevity penalty for a short answer", () => {
		expect(bleu("the quick brown fox jumps", "The quick brown fox jumps.")).to.be.closeTo(1, 1e-12);
		expect(bleu("lorem ipsum", "the quick brown fox")).to.equal(0);
		expect(bleu("", "the quick brown fox")).to.equal(0);
		// 2 of 4 words: unigram 2/2, bigram (1+1)/(1+1); brevity penalty exp(1 - 4/2).
		expect(bleu("quick brown", "the quick brown fox")).to.be.closeTo(Math.exp(1 - 2), 1e-12);
		const partial = bleu("the quick red fox jumps", "the quick brown fox jumps");
		expect(partial).to.be.above(0).and.below(1);
	});

	it("scores an output on every objective under its own name, plus cost and latency", async () => {
		const score = await createOutputScorer([
			objective({ metric: "rougeL" }),
			objective({ metric: "regex", name: "hasYear", pattern: "\\b(19|20)\\d\\d\\b" }),
			objective({ metric: "containsAll", terms: ["budget"] }),
			objective({ metric: "latencyMs", direction: "minimize" }),
			objective({ metric: "judge", judge: "openai:gpt-4o-mini" }),
		]);
		const scores = await score({ output: "The budget of 2024 passed.", costUsd: 0.002, latencyMs: 120, judge: { judge: 0.75 } }, { input: "x", reference: "The budget passed." });
		expect(scores).to.deep.equal({ costUsd: 0.002, latencyMs: 120, rougeL: scores.rougeL, hasYear: 1, containsAll: 1, judge: 0.75 });
		expect(scores.rougeL).to.be.closeTo(2 * (3 / 5) * 1 / (3 / 5 + 1), 1e-12);
	});

	it("asks the judge for a grade and reads it, scaled to [0, 1]", () => {
		const request = judgeRequest(objective({ metric: "judge", judge: "anthropic", criteria: "Is it polite?" }), { input: "Say hi", reference: "Hello!" }, "Hi there");
		expect(request.providers).to.deep.equal(["anthropic"]);
		expect(request.prompt).to.include("Is it polite?").and.include("<answer>\nHi there\n</answer>").and.include("<reference_answer>\nHello!");
		expect(request.params?.temperature).to.equal(0);
		expect(parseGrade("10")).to.equal(1);
		expect(parseGrade("Grade: 1/10")).to.equal(0);
		expect(parseGrade(" 7 ")).to.be.closeTo(6 / 9, 1e-12);
		expect(parseGrade("I cannot grade this")).to.equal(0);
		expect(parseGrade("12")).to.equal(0);
	});
});
