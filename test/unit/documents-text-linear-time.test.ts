import { expect } from "chai";
import { normalizeText } from "../../services/documents/text/normalize-text.ts";
import { chunkText } from "../../services/documents/text/chunk-text.ts";

/**
 * The patterns run over every uploaded document's text must take time in proportion to it. Each
 * input below is one an uploader controls, sized so a quadratic pattern takes seconds (about 10 s
 * before the fix); the bound is generous, so only that behaviour can break it.
 */
const BOUND_MS = 2_000;

function timed<T>(work: () => T): { result: T; ms: number } {
	const started = performance.now();
	const result = work();
	return { result, ms: performance.now() - started };
}

describe("document text patterns take linear time", () => {
	it("strips trailing spaces without rescanning a long run of spaces inside a line", () => {
		const { result, ms } = timed(() => normalizeText(" ".repeat(60_000) + "x  \nnext\t \n", 10_000_000));
		expect(result.text).to.equal("x\nnext");
		expect(ms, "ms for 60,000 spaces before a letter").to.be.below(BOUND_MS);
	});

	it("reads a heading line of 60,000 characters ending in ' #' pairs in linear time, and cuts its closing hashes", () => {
		const { result, ms } = timed(() => chunkText("# a" + " #".repeat(30_000) + "x\n\nbody", { maxTokens: 100_000, overlapTokens: 0 }));
		expect(result[0].heading).to.equal("a" + " #".repeat(30_000) + "x");
		expect(ms, "ms for one long heading line").to.be.below(BOUND_MS);
		expect(chunkText("## Results ##\n\nText.", { maxTokens: 100, overlapTokens: 0 })[0].heading).to.equal("Results");
		expect(chunkText("# C#\n\nText.", { maxTokens: 100, overlapTokens: 0 })[0].heading, "as before: closing hashes go").to.equal("C");
	});

	it("cuts sentences of a text holding a 50,000-character run of dots in linear time", () => {
		const text = "Start. " + ".".repeat(50_000) + "x and more words here. End.";
		const { result, ms } = timed(() => chunkText(text, { maxTokens: 40, overlapTokens: 0 }));
		expect(result.length).to.be.above(1);
		expect(ms, "ms for a run of dots").to.be.below(BOUND_MS);
	});
});
