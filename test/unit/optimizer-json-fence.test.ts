import { expect } from "chai";
import { jsonValid, parseJsonOutput } from "../../services/optimizer/scorers/json-metrics.ts";

/** The pattern the fence reader replaced, kept here to show both read the same outputs alike. */
const PATTERN_BEFORE = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i;
const readBefore = (output: string) => {
	const fenced = PATTERN_BEFORE.exec(output);
	try {
		return { value: JSON.parse((fenced ? fenced[1] : output).trim()) as unknown };
	} catch {
		return undefined;
	}
};

describe("optimizer: JSON inside a Markdown fence", () => {
	it("scores an output of 100,000 newlines after a fence in linear time (26 s before)", () => {
		const started = performance.now();
		expect(jsonValid("```\n" + "\n".repeat(100_000) + "x")).to.equal(0);
		expect(jsonValid("```json\n" + " \n".repeat(50_000) + '{"a": 1}\n```')).to.equal(1);
		expect(performance.now() - started, "ms").to.be.below(2_000);
	});

	it("reads the same outputs as the pattern did", () => {
		const samples = [
			'{"a": 1}',
			'```json\n{"a": [1, 2]}\n```',
			'```JSON\n{"a": 1}\n```',
			'  ```\n[1, 2]\n```  \n',
			'```json   \n\n{"a": 1}\n\n```',
			'```jsonc\n{"a": 1}\n```',
			'``` json\n{"a": 1}\n```',
			'```json{"a": 1}```',
			"```\n```",
			'```json\n{"a": 1}```',
			'Sure! ```json\n{"a": 1}\n```',
			'```json\n{"a": 1}\n``` and more',
			'```\n"```"\n```',
			"",
			"````\n1\n````",
		];
		for (const sample of samples) expect(parseJsonOutput(sample), JSON.stringify(sample)).to.deep.equal(readBefore(sample));
	});
});
