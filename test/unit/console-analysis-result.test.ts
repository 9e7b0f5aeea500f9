import { expect } from "chai";
import { analysisData, errorMessage } from "../../console/src/analysis-result.ts";
import { formatMs, formatUsd } from "../../console/src/format.ts";

const base = { provider: "openai", model: "gpt-4o-mini" };

describe("console: reading a provider's result", () => {
	it("prefers the parsed data, then an object output, then JSON text, then plain text as the summary", () => {
		expect(analysisData({ ...base, data: { summary: "from data" }, output: '{"summary":"from output"}' })).to.deep.equal({ summary: "from data" });
		expect(analysisData({ ...base, output: { sentiment: { label: "positive", score: 0.9 } } })).to.deep.equal({ sentiment: { label: "positive", score: 0.9 } });
		expect(analysisData({ ...base, output: '{"entities":[{"type":"email","text":"a@b.co"}]}' })).to.deep.equal({ entities: [{ type: "email", text: "a@b.co" }] });
		expect(analysisData({ ...base, output: "Just words." })).to.deep.equal({ summary: "Just words." });
		expect(analysisData({ ...base, output: "[1,2]" })).to.deep.equal({ summary: "[1,2]" });
		expect(analysisData({ ...base, output: "" })).to.deep.equal({});
	});

	it("names a failure whatever its shape", () => {
		expect(errorMessage({ type: "TIMEOUT", message: "took too long" })).to.equal("took too long");
		expect(errorMessage({ type: "RATE_LIMITED" })).to.equal("RATE_LIMITED");
		expect(errorMessage("boom")).to.equal("boom");
		expect(errorMessage(null)).to.equal(undefined);
	});

	it("writes fractions of a cent and milliseconds readably", () => {
		expect(formatUsd(0)).to.equal("$0");
		expect(formatUsd(0.000123)).to.equal("$0.00012");
		expect(formatUsd(0.25)).to.equal("$0.2500");
		expect(formatUsd(12.5)).to.equal("$12.50");
		expect(formatUsd(undefined)).to.equal("–");
		expect(formatMs(42.4)).to.equal("42 ms");
		expect(formatMs(1500)).to.equal("1.5 s");
	});
});
