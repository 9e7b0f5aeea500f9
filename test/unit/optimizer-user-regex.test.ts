import { expect } from "chai";
import { compileUserRegex, userRegexProblem } from "../../services/optimizer/scorers/user-regex.ts";
import { createOutputScorer } from "../../services/optimizer/scorers/score-output.ts";
import { parseStudyDefinition } from "../../services/optimizer/study/parse-definition.ts";
import { STUDY_LIMITS } from "../../services/optimizer/study/limits.ts";
import type { Objective } from "../../services/optimizer/study/definition.ts";

/** Backtracking takes about 2^n steps on (a+)+b over n a's: 32 is tens of seconds; RE2 takes microseconds. */
const HOSTILE_SUBJECT = "a".repeat(32);

describe("optimizer: user regular expressions run in linear time", () => {
	it("scores (a+)+b on 32 a's at once, where a backtracking engine takes tens of seconds", async () => {
		const score = await createOutputScorer([{ name: "hostile", metric: "regex", direction: "maximize", weight: 1, pattern: "(a+)+b" } as Objective]);
		const started = performance.now();
		const scores = await score({ output: HOSTILE_SUBJECT, costUsd: 0, latencyMs: 1 }, { input: "x" });
		expect(performance.now() - started, "ms").to.be.below(2_000);
		expect(scores.hostile).to.equal(0);
		expect((await score({ output: HOSTILE_SUBJECT + "b", costUsd: 0, latencyMs: 1 }, { input: "x" })).hostile).to.equal(1);
	});

	it("honours the flags a study may give: i, m, s (u is RE2's own way)", async () => {
		expect((await compileUserRegex("^total$", "im")).test("Sum\nTOTAL\nend")).to.equal(true);
		expect((await compileUserRegex("^total$", "i")).test("Sum\nTOTAL\nend")).to.equal(false);
		expect((await compileUserRegex("a.b", "s")).test("a\nb")).to.equal(true);
		expect((await compileUserRegex("a.b")).test("a\nb")).to.equal(false);
		expect((await compileUserRegex("^\\p{Lu}\\p{Ll}+$", "u")).test("Ärger")).to.equal(true);
	});

	it("looks at the first maxRegexSubjectChars characters of an output only", async () => {
		const pattern = await compileUserRegex("needle");
		expect(pattern.test(" ".repeat(STUDY_LIMITS.maxRegexSubjectChars - 6) + "needle")).to.equal(true);
		expect(pattern.test(" ".repeat(STUDY_LIMITS.maxRegexSubjectChars) + "needle")).to.equal(false);
	});

	it("refuses backreferences and lookaround, saying why", async () => {
		for (const pattern of ["(a)\\1", "a(?=b)", "(?<!x)y", "a(?!b)"]) {
			expect(await userRegexProblem(pattern), pattern).to.match(/^is not a valid regular expression for the linear-time engine \(RE2 syntax\): .+Backreferences/);
		}
		expect(await userRegexProblem("\\b(19|20)\\d\\d\\b")).to.equal(undefined);
	});

	it("a study with such a pattern is refused with 422 naming objectives[i].pattern", async () => {
		const study = {
			task: { type: "summary" },
			dataset: [{ input: "One. Two.", reference: "One." }],
			space: { model: ["local"] },
			objectives: [{ metric: "rougeL" }, { metric: "regex", pattern: "(\\w+) \\1" }],
		};
		const err = await parseStudyDefinition(study, { providers: [{ name: "local", configured: true }], resolveDocument: async () => "", checkJsonSchema: async () => {} }).catch(e => e);
		expect(err).to.include({ code: 422, type: "VALIDATION_ERROR" });
		expect(err.data.problems).to.have.lengthOf(1);
		expect(err.data.problems[0]).to.match(/^objectives\[1\]\.pattern is not a valid regular expression for the linear-time engine/);
	});
});
