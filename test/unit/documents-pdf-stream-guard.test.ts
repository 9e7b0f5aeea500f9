import zlib from "node:zlib";
import { expect } from "chai";
import { checkPdfStreams } from "../../services/documents/extraction/pdf-stream-guard.ts";
import { DecodedBudget } from "../../services/documents/extraction/decoded-budget.ts";
import extract from "../../services/documents/extraction/extract-document.ts";
import { PDF } from "../../services/documents/detection/formats.ts";
import { pdfDocument } from "../helpers/documents.ts";
import { pdfBomb, pdfWithContent } from "../helpers/hostile-documents.ts";

const MB = 1024 * 1024;

async function spent(pdf: Buffer, maxBytes = 1024 * MB): Promise<number> {
	const budget = new DecodedBudget(maxBytes);
	await checkPdfStreams(pdf, budget);
	return budget.used;
}

async function refusal(pdf: Buffer, maxBytes: number): Promise<string> {
	return checkPdfStreams(pdf, new DecodedBudget(maxBytes)).then(
		() => "accepted",
		err => err.message
	);
}

/** A zlib stream whose first block is stored (its bytes appear as written, `endstream` included), the rest deflated. */
async function zlibWithStoredPrefix(prefix: string, rest: Buffer): Promise<Buffer> {
	const deflate = zlib.createDeflate({ level: 0 });
	const parts: Buffer[] = [];
	deflate.on("data", (part: Buffer) => parts.push(part));
	const ended = new Promise(resolve => deflate.on("end", resolve));
	deflate.write(Buffer.from(prefix));
	await new Promise<void>(resolve => deflate.flush(zlib.constants.Z_FULL_FLUSH, () => resolve()));
	await new Promise<void>(resolve => deflate.params(9, zlib.constants.Z_DEFAULT_STRATEGY, () => resolve()));
	deflate.end(rest);
	await ended;
	return Buffer.concat(parts);
}

describe("documents: PDF streams counted while they inflate", function () {
	this.timeout(60_000);

	it("refuses a PDF bomb at the cap with a reason a person understands, before pdf.js reads it", async () => {
		const bomb = await pdfBomb(64 * MB);
		expect(bomb.length).to.be.below(200 * 1024);
		expect(await refusal(bomb, 48 * MB)).to.equal("The document expands to more than 48 MB of content when unpacked; it is too large to extract or a decompression bomb");
		const outcome = await extract({ bytes: new Uint8Array(bomb), size: bomb.length, mimeType: PDF, charset: null, limits: { maxCharacters: 100_000, maxPdfPages: 100, maxDecodedBytes: 20 * MB, zip: { maxEntries: 10, maxRatio: 100 }, chunks: { maxTokens: 200, overlapTokens: 20 } } });
		expect(outcome).to.deep.equal({ ok: false, error: "The document expands to more than 20 MB of content when unpacked; it is too large to extract or a decompression bomb" });
	});

	it("counts what an ordinary PDF's streams inflate to, and lets it through", async () => {
		const pdf = await pdfDocument(["An ordinary page of text about solar panels. ".repeat(40)]);
		const used = await spent(pdf);
		// The page's text operators and the font program, inflated: more than stored, far below any cap.
		expect(used).to.be.above(1_000).and.below(MB);
	});

	it("counts the exact decoded size of uncompressed, FlateDecode, LZWDecode and RunLengthDecode streams", async () => {
		const content = Buffer.from("BT /F1 12 Tf 72 720 Td (Hello) Tj ET");
		expect(await spent(pdfWithContent({ data: content }))).to.equal(content.length);
		expect(await spent(pdfWithContent({ filter: "/FlateDecode", data: zlib.deflateSync(Buffer.alloc(3 * MB, 0x20)) }))).to.equal(3 * MB);
		// The PDF specification's LZW example: "-----A---B", EarlyChange 1.
		expect(await spent(pdfWithContent({ filter: "/LZWDecode", data: Buffer.from([0x80, 0x0b, 0x60, 0x50, 0x22, 0x0c, 0x0c, 0x85, 0x01]) }))).to.equal(10);
		// 2 literal bytes, then "x" 127 times, then end of data.
		expect(await spent(pdfWithContent({ filter: "/RunLengthDecode", data: Buffer.from([1, 0x41, 0x42, 130, 0x78, 128]) }))).to.equal(129);
	});

	it("sees through a stream deflated twice, and an indirect /Length whose data contains `endstream`", async () => {
		const twice = zlib.deflateSync(zlib.deflateSync(Buffer.alloc(64 * MB, 0x20)));
		expect(await refusal(pdfWithContent({ filter: "[/FlateDecode /FlateDecode]", data: twice }), 48 * MB)).to.match(/^The document expands to more than 48 MB/);
		// Cut at the first `endstream`, the stream would look like a few harmless bytes.
		const hidden = await zlibWithStoredPrefix("(endstream) ", Buffer.alloc(64 * MB, 0x20));
		expect(await refusal(pdfWithContent({ filter: "/FlateDecode", data: hidden }, { indirectLength: true }), 48 * MB)).to.match(/^The document expands to more than 48 MB/);
	});

	it("skips images (text extraction never decodes them) but not a stream that only nests the word Image", async () => {
		const image = `<< /Type /XObject /Subtype /Image /Width 4096 /Height 4096 /BitsPerComponent 8 /ColorSpace /DeviceRGB /Filter /FlateDecode /Length 0 >>\nstream\n\nendstream`;
		const bigImage = zlib.deflateSync(Buffer.alloc(48 * MB, 0x80));
		const withImage = pdfWithContent({ data: Buffer.from("BT ET") }, { extraObjects: [image.replace("/Length 0", `/Length ${bigImage.length}`).replace("stream\n\n", `stream\n${bigImage.toString("latin1")}\n`)] });
		expect(await spent(Buffer.from(withImage.toString("latin1"), "latin1"))).to.be.below(1000);
		const disguised = pdfWithContent({ filter: "/FlateDecode /DecodeParms << /Subtype /Image >>", data: zlib.deflateSync(Buffer.alloc(64 * MB, 0x20)) });
		expect(await refusal(disguised, 48 * MB)).to.match(/^The document expands to more than 48 MB/);
	});
});
