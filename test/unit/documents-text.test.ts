import { expect } from "chai";
import { chunkText, type ChunkBoundary } from "../../services/documents/text/chunk-text.ts";
import { estimateTokens } from "../../services/documents/text/estimate-tokens.ts";
import { normalizeText } from "../../services/documents/text/normalize-text.ts";
import { textStats } from "../../services/documents/text/text-stats.ts";

const OPTIONS = { maxTokens: 120, overlapTokens: 20 };

function paragraph(n: number, words = 40): string {
	return Array.from({ length: words }, (_, i) => `word${n}x${i}`).join(" ") + ".";
}

/** Every chunk is a slice within bounds; together they cover every non-space character in order. */
function expectWellFormed(text: string, chunks: ChunkBoundary[], options = OPTIONS): void {
	let covered = 0;
	chunks.forEach((chunk, i) => {
		expect(chunk.start, `chunk ${i} start`).to.be.within(0, text.length);
		expect(chunk.end, `chunk ${i} end`).to.be.within(chunk.start + 1, text.length);
		expect(chunk.tokenEstimate, `chunk ${i} tokens`).to.equal(estimateTokens(text.slice(chunk.start, chunk.end)));
		expect(chunk.tokenEstimate, `chunk ${i} tokens`).to.be.at.most(options.maxTokens);
		expect(/^\s|\s$/.test(text.slice(chunk.start, chunk.end)), `chunk ${i} is trimmed`).to.equal(false);
		if (i > 0) expect(chunk.start, `chunk ${i} moves forward`).to.be.above(chunks[i - 1].start);
		expect(text.slice(covered, chunk.start).trim(), `text before chunk ${i} is covered`).to.equal("");
		covered = Math.max(covered, chunk.end);
	});
	expect(text.slice(covered).trim()).to.equal("");
}

describe("documents: chunking", () => {
	it("packs paragraphs up to the token limit and overlaps consecutive chunks", () => {
		const text = Array.from({ length: 12 }, (_, i) => paragraph(i)).join("\n\n");
		const chunks = chunkText(text, OPTIONS);
		expectWellFormed(text, chunks);
		expect(chunks.length).to.be.above(3);
		for (let i = 1; i < chunks.length; i++) {
			// The overlap: the chunk starts before the previous one ended, at a word.
			expect(chunks[i].start).to.be.below(chunks[i - 1].end);
			expect(text[chunks[i].start - 1]).to.match(/\s/);
			expect(estimateTokens(text.slice(chunks[i].start, chunks[i - 1].end))).to.be.within(10, 30);
		}
	});

	it("starts a new chunk at each heading, names the heading, and does not overlap across sections", () => {
		const text = `Preamble line.\n\n# Alpha\n\n${paragraph(1, 10)}\n\n## Beta\n\n${paragraph(2, 10)}\n\n# Alpha\n\n${paragraph(3, 10)}`;
		const chunks = chunkText(text, OPTIONS);
		expectWellFormed(text, chunks);
		expect(chunks.map(c => c.heading)).to.deep.equal([null, "Alpha", "Beta", "Alpha"]);
		expect(text.slice(chunks[1].start, chunks[1].end)).to.match(/^# Alpha\n\nword1x0/);
		for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).to.be.at.least(chunks[i - 1].end);
	});

	it("splits a paragraph too long for one chunk at sentences, and a run without spaces by characters", () => {
		const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} talks about the grid and its storage.`).join(" ");
		const blob = "A".repeat(3000);
		const text = `${sentences}\n\n${blob}`;
		const chunks = chunkText(text, OPTIONS);
		expectWellFormed(text, chunks);
		const sentenceChunks = chunks.filter(c => c.end <= sentences.length);
		expect(sentenceChunks.length).to.be.above(2);
		for (const chunk of sentenceChunks) expect(text.slice(chunk.start, chunk.end)).to.match(/\.$/);
	});

	it("counts CJK as dense and never cuts a surrogate pair", () => {
		const text = "東京は日本の首都です。".repeat(60) + "\n\n" + "🎉".repeat(400);
		const chunks = chunkText(text, OPTIONS);
		expectWellFormed(text, chunks);
		expect(estimateTokens("東京は日本の首都です。")).to.equal(11);
		for (const chunk of chunks) {
			const first = text.charCodeAt(chunk.start);
			const last = text.charCodeAt(chunk.end - 1);
			expect(first >= 0xdc00 && first <= 0xdfff, "starts on a low surrogate").to.equal(false);
			expect(last >= 0xd800 && last <= 0xdbff, "ends on a high surrogate").to.equal(false);
		}
	});

	it("keeps a small text whole and gives nothing for an empty one", () => {
		expect(chunkText("Just one line.", OPTIONS)).to.deep.equal([{ start: 0, end: 14, heading: null, tokenEstimate: 4 }]);
		expect(chunkText("", OPTIONS)).to.deep.equal([]);
		expect(chunkText("   \n\n  ", OPTIONS)).to.deep.equal([]);
	});
});

describe("documents: text normalisation and stats", () => {
	it("unifies line ends, drops control characters and NUL, squeezes blank lines", () => {
		const { text, truncated } = normalizeText("  Line one\r\nLine\u0000 two\u0007\r\rLine three  \n\n\n\n\fEnd\t \n", 1000);
		expect(text).to.equal("Line one\nLine two\n\nLine three\n\nEnd");
		expect(truncated).to.equal(false);
	});

	it("cuts at the limit without splitting a character, and says so", () => {
		const { text, truncated } = normalizeText("ab🎉cd", 3);
		expect(text).to.equal("ab");
		expect(truncated).to.equal(true);
		expect(normalizeText("x\ud800y", 10).text).to.equal("x\ufffdy");
	});

	it("counts words in spaced and unspaced scripts, characters as code points, and names the language", async () => {
		const english = "The committee approved the budget for the new solar farm after a long debate about costs and benefits.";
		expect(await textStats(english, 3, false)).to.deep.equal({ pages: 3, words: 18, characters: english.length, language: "eng", truncated: false });
		const german = await textStats("Die Kommission hat den Haushalt für den neuen Solarpark nach einer langen Debatte über Kosten und Nutzen genehmigt.", null, true);
		expect(german.language).to.equal("deu");
		expect(german.truncated).to.equal(true);
		expect((await textStats("🎉🎉", null, false)).characters).to.equal(2);
		expect((await textStats("東京は日本の首都です", null, false)).words).to.be.above(1);
		expect((await textStats("Too short.", null, false)).language).to.equal(null);
	});
});
