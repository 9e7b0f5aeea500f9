import { expect } from "chai";
import { cleanFilename } from "../../services/documents/upload/safe-filename.ts";

/**
 * An upload's file name arrives in a multipart header of up to 80 KB. Cleaning it takes time in
 * proportion to it; each name below took seconds to a minute before (a bound only that breaks).
 */
const BOUND_MS = 2_000;

function timed<T>(work: () => T): { result: T; ms: number } {
	const started = performance.now();
	const result = work();
	return { result, ms: performance.now() - started };
}

describe("documents: cleaning a hostile file name takes linear time", () => {
	it("cuts a 60,000-character name to 200 bytes at once, keeping its extension", () => {
		const { result, ms } = timed(() => cleanFilename("a".repeat(60_000) + ".pdf"));
		expect(result).to.equal("a".repeat(196) + ".pdf");
		expect(ms, "ms (about 45 s before)").to.be.below(BOUND_MS);
		expect(cleanFilename("é".repeat(150) + ".txt"), "never splits a character").to.equal("é".repeat(98) + ".txt");
		expect(cleanFilename("😀".repeat(100) + ".txt"), "never splits a surrogate pair").to.equal("😀".repeat(49) + ".txt");
	});

	it("drops trailing dots and spaces without rescanning a run of dots inside the name", () => {
		const { result, ms } = timed(() => cleanFilename("x" + ".".repeat(60_000) + "y"));
		expect(result).to.equal("x" + ".".repeat(197) + ".y");
		expect(ms, "ms (about 6 s before)").to.be.below(BOUND_MS);
		expect(cleanFilename("report.pdf. . .")).to.equal("report.pdf");
	});
});
