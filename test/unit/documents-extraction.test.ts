import { expect } from "chai";
import extract, { type ExtractionLimits, type ExtractionTask } from "../../services/documents/extraction/extract-document.ts";
import { ExtractionLimitError, ExtractionSandbox } from "../../services/documents/extraction/extraction-sandbox.ts";
import { checkZip } from "../../services/documents/extraction/zip-guard.ts";
import { DecodedBudget } from "../../services/documents/extraction/decoded-budget.ts";
import { DOCX, HTML, JSON_TYPE, CSV, PDF, PLAIN_TEXT } from "../../services/documents/detection/formats.ts";
import { pdfBomb } from "../helpers/hostile-documents.ts";
import { CSV_TEXT, HTML_PAGE, JSON_TEXT, docxDocument, docxZipBomb, encodedText, pdfWithBlankPages, pdfDocument, zipArchive } from "../helpers/documents.ts";

const LIMITS: ExtractionLimits = {
	maxCharacters: 100_000,
	maxPdfPages: 500,
	maxDecodedBytes: 20 * 1024 * 1024,
	zip: { maxEntries: 100, maxRatio: 100 },
	chunks: { maxTokens: 200, overlapTokens: 20 },
};

function task(bytes: Buffer | string, mimeType: string, charset: string | null = null, limits = LIMITS): ExtractionTask {
	const copy = new Uint8Array(Buffer.from(bytes));
	return { bytes: copy, size: copy.length, mimeType, charset, limits };
}

async function text(bytes: Buffer | string, mimeType: string, charset: string | null = null): Promise<string> {
	const outcome = await extract(task(bytes, mimeType, charset));
	if (!outcome.ok) throw new Error(`extraction failed: ${outcome.error}`);
	return outcome.text;
}

async function failure(bytes: Buffer | string, mimeType: string, limits = LIMITS): Promise<string> {
	const outcome = await extract(task(bytes, mimeType, null, limits));
	if (outcome.ok) throw new Error("extraction succeeded");
	return outcome.error;
}

describe("documents: extraction per format", function () {
	this.timeout(60_000);

	it("reads a PDF page by page, with the page count", async () => {
		const outcome = await extract(task(await pdfDocument(["First page about solar panels.", "Second page about batteries."]), PDF));
		expect(outcome.ok).to.equal(true);
		if (!outcome.ok) return;
		expect(outcome.text).to.equal("First page about solar panels.\n\nSecond page about batteries.");
		expect(outcome.stats).to.include({ pages: 2, truncated: false });
		expect(outcome.chunks).to.have.length(1);
	});

	it("explains encrypted, truncated, over-long and textless PDFs", async () => {
		expect(await failure(await pdfDocument(["secret"], { userPassword: "pw" }), PDF)).to.match(/password-protected/);
		const pdf = await pdfDocument(["Some text on a page that will be cut off."]);
		expect(await failure(pdf.subarray(0, Math.floor(pdf.length / 2)), PDF)).to.match(/damaged or incomplete/);
		expect(await failure(pdfWithBlankPages(100_000), PDF)).to.equal("The PDF has 100000 pages; at most 500 can be extracted");
		expect(await failure(pdfWithBlankPages(3), PDF)).to.match(/contains no text/);
	});

	it("stops a long PDF at the character limit and marks the text truncated", async () => {
		const pages = Array.from({ length: 20 }, (_, i) => `Page ${i} `.repeat(100));
		const outcome = await extract(task(await pdfDocument(pages), PDF, null, { ...LIMITS, maxCharacters: 3000 }));
		expect(outcome.ok).to.equal(true);
		if (!outcome.ok) return;
		expect(outcome.text.length).to.equal(3000);
		expect(outcome.stats).to.include({ truncated: true, pages: 20 });
	});

	it("reads a Word document with its headings as Markdown headings", async () => {
		const docx = await docxDocument([
			{ heading: "Quarterly Report", paragraphs: ["Revenue grew by twelve percent.", "Costs fell."] },
			{ heading: "Outlook", paragraphs: ["Steady growth is expected."] },
		]);
		const outcome = await extract(task(docx, DOCX));
		expect(outcome.ok).to.equal(true);
		if (!outcome.ok) return;
		expect(outcome.text).to.equal("# Quarterly Report\n\nRevenue grew by twelve percent.\n\nCosts fell.\n\n# Outlook\n\nSteady growth is expected.");
		expect(outcome.chunks.map(c => c.heading)).to.deep.equal(["Quarterly Report", "Outlook"]);
	});

	it("refuses a damaged DOCX and a DOCX zip bomb before parsing them", async () => {
		const docx = await docxDocument([{ paragraphs: ["Hello"] }]);
		expect(await failure(docx.subarray(0, docx.length - 30), DOCX)).to.match(/damaged/);
		expect(await failure(docxZipBomb(5 * 1024 * 1024), DOCX)).to.match(/word\/document\.xml expands \d+ times; it looks like a decompression bomb/);
	});

	it("turns HTML into text without scripts, styles or link targets", async () => {
		const result = await text(HTML_PAGE, HTML, "utf-8");
		expect(result).to.include("# Solar output\n\nOutput grew by 12 percent in the third quarter.");
		expect(result).to.include("## Outlook");
		expect(result).to.match(/Seville\s+420/);
		expect(result).to.include("the full report");
		for (const hidden of ["secretScriptMarker", "secret-style-marker", "noscript-marker", "hidden-href", "Quarterly report"]) expect(result).not.to.include(hidden);
	});

	it("re-indents JSON keeping numbers exactly as written, and explains invalid JSON", async () => {
		const result = await text(JSON_TEXT, JSON_TYPE, "utf-8");
		expect(result).to.include('\n  "report": {\n    "title": "Grid status",');
		expect(result).to.include('"id": 12345678901234567890');
		expect(await failure('{"a": 1,}', JSON_TYPE)).to.match(/not valid JSON/);
	});

	it("decodes no more of a long text than the character limit keeps, and marks it truncated", async () => {
		const limits = { ...LIMITS, maxCharacters: 1000 };
		const outcome = await extract(task(Buffer.from("Grüße aus München. ".repeat(10_000)), PLAIN_TEXT, "utf-8", limits));
		expect(outcome.ok && outcome.text.length).to.equal(1000);
		expect(outcome.ok && outcome.text.startsWith("Grüße aus München. Grüße")).to.equal(true);
		expect(outcome.ok && outcome.stats.truncated).to.equal(true);
		// The service hands over only the start of a large text file; the size says it goes on.
		const start = await extract({ ...task(Buffer.from("Only the start. ".repeat(500)), PLAIN_TEXT, "utf-8", limits), size: 1_000_000 });
		expect(start.ok && start.stats.truncated).to.equal(true);
		// A JSON file cut short cannot be parsed: its beginning is kept as written.
		const json = await extract(task(JSON.stringify({ rows: Array.from({ length: 2000 }, (_, i) => ({ i })) }), JSON_TYPE, "utf-8", limits));
		expect(json.ok && json.text.startsWith('{"rows":[{"i":0},')).to.equal(true);
		expect(json.ok && json.stats.truncated).to.equal(true);
	});

	it("keeps CSV and plain text as written, decoded from their charset", async () => {
		expect(await text(CSV_TEXT, CSV, "utf-8")).to.equal(CSV_TEXT.trim());
		const japanese = "これは日本語のテスト文書です。東京は日本の首都です。今日は天気がいいですね。".repeat(3);
		const outcome = await extract(task(await encodedText(japanese, "shift_jis"), PLAIN_TEXT, "shift_jis"));
		expect(outcome.ok && outcome.text).to.equal(japanese);
		expect(outcome.ok && outcome.stats.language).to.equal("jpn");
	});
});

describe("documents: zip bomb guard", () => {
	const limits = { maxEntries: 10, maxRatio: 100 };
	const budget = () => new DecodedBudget(1024 * 1024);

	it("accepts an ordinary archive", async () => {
		await checkZip(zipArchive([{ name: "a.xml", data: Buffer.from("<a>hello</a>".repeat(100)) }]), limits, budget());
	});

	it("refuses too many entries, too much in total, and a lying central directory", async () => {
		const many = zipArchive(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(`entry ${i}`) })));
		expect(await checkZip(many, limits, budget()).catch(err => err.message)).to.equal("The archive has 11 entries; at most 10 are allowed");
		const big = zipArchive([{ name: "a.bin", data: Buffer.from(Array.from({ length: 700_000 }, (_, i) => i % 251)) }, { name: "b.bin", data: Buffer.from(Array.from({ length: 700_000 }, (_, i) => i % 241)) }]);
		expect(await checkZip(big, limits, budget()).catch(err => err.message)).to.match(/^The document expands to more than 1 MB of content when unpacked/);
		// Declares 10 bytes in both headers while the data inflates to 100,000.
		const lying = zipArchive([{ name: "a.txt", data: Buffer.alloc(100_000, 0x41) }]);
		lying.writeUInt32LE(10, 22);
		lying.writeUInt32LE(10, lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
		expect(await checkZip(lying, limits, budget()).catch(err => err.message)).to.match(/^The file is damaged: /);
	});
});

describe("documents: extraction sandbox (child processes)", function () {
	this.timeout(60_000);

	async function withSandbox(options: { memoryMb: number; timeLimitMs: number }, use: (sandbox: ExtractionSandbox) => Promise<void>): Promise<void> {
		const sandbox = new ExtractionSandbox({ processes: 1, idleTimeoutMs: 1_000, ...options });
		try {
			await use(sandbox);
		} finally {
			await sandbox.close();
		}
	}

	it("extracts in a process started from the TypeScript entry file", () =>
		withSandbox({ memoryMb: 256, timeLimitMs: 30_000 }, async sandbox => {
			expect(await sandbox.run(task(await pdfDocument(["Sandboxed text."]), PDF))).to.include({ ok: true, text: "Sandboxed text." });
		}));

	it("ends a document over its time limit, and the next one still runs", () =>
		withSandbox({ memoryMb: 256, timeLimitMs: 1_000 }, async sandbox => {
			// Several seconds of page-by-page work in little memory: far over the limit, however fast the machine.
			const error = await sandbox.run(task(pdfWithBlankPages(5_000), PDF, null, { ...LIMITS, maxPdfPages: 10_000 })).catch(err => err);
			expect(error).to.be.instanceOf(ExtractionLimitError);
			expect(error.message).to.match(/took longer than 1 s/);
			expect(await sandbox.run(task("small", PLAIN_TEXT, "utf-8"))).to.include({ ok: true, text: "small" });
		}));

	it("ends a document whose parse tree outgrows the ceiling, and the next one still runs", () =>
		withSandbox({ memoryMb: 128, timeLimitMs: 60_000 }, async sandbox => {
			const html = `<html><body>${"<div><p>cell</p><span>x</span></div>".repeat(1_500_000)}</body></html>`;
			const error = await sandbox.run(task(html, HTML, "utf-8", { ...LIMITS, maxCharacters: 100_000_000 })).catch(err => err);
			expect(error).to.be.instanceOf(ExtractionLimitError);
			expect(error.message).to.match(/needed more than 128 MB of memory/);
			expect(await sandbox.run(task("small", PLAIN_TEXT, "utf-8"))).to.include({ ok: true, text: "small" });
		}));

	it("kills a process whose memory outside the V8 heap passes the ceiling (pdf.js inflating a bomb)", () =>
		withSandbox({ memoryMb: 160, timeLimitMs: 60_000 }, async sandbox => {
			// The decoded budget is lifted so that only the ceiling stands between pdf.js and 256 MiB of ArrayBuffers.
			const bomb = await pdfBomb(256 * 1024 * 1024);
			const error = await sandbox.run(task(bomb, PDF, null, { ...LIMITS, maxDecodedBytes: 1024 * 1024 * 1024 })).catch(err => err);
			expect(error).to.be.instanceOf(ExtractionLimitError);
			expect(error.message).to.match(/needed more than 160 MB of memory/);
			expect(await sandbox.run(task("small", PLAIN_TEXT, "utf-8"))).to.include({ ok: true, text: "small" });
		}));
});
