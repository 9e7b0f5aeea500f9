import { expect } from "chai";
import crypto from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { detectType } from "../../services/documents/detection/detect-type.ts";
import { sniffTextKind } from "../../services/documents/detection/text-kind.ts";
import { decodeText } from "../../services/documents/text/decode-text.ts";
import { UploadInspector, type UploadInspection } from "../../services/documents/upload/upload-inspector.ts";
import { CSV_TEXT, HTML_PAGE, JSON_TEXT, MARKDOWN_TEXT, docxDocument, encodedText, pdfDocument, zipArchive } from "../helpers/documents.ts";

async function inspect(bytes: Buffer, maxBytes = 10 * 1024 * 1024, chunkSize = 7919): Promise<UploadInspection> {
	const inspector = new UploadInspector(maxBytes);
	const chunks = [];
	for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
	await pipeline(Readable.from(chunks), inspector, new Writable({ write: (_c, _e, cb) => cb() }));
	return inspector.result();
}

async function detect(bytes: Buffer | string, filename: string) {
	return detectType(await inspect(Buffer.from(bytes)), filename);
}

async function refusal(bytes: Buffer | string, filename: string): Promise<{ code: number; message: string }> {
	try {
		await detect(bytes, filename);
	} catch (err) {
		return err as { code: number; message: string };
	}
	throw new Error(`${filename} was accepted`);
}

/** A Windows executable's first bytes: the MZ header and a PE signature where it points. */
function windowsExecutable(): Buffer {
	const bytes = Buffer.alloc(512);
	bytes.write("MZ", 0, "latin1");
	bytes.writeUInt32LE(0x80, 0x3c);
	bytes.write("PE\0\0", 0x80, "latin1");
	return bytes;
}

describe("documents: upload inspection", () => {
	it("hashes and counts across chunks exactly like hashing the whole file", async () => {
		const bytes = crypto.randomBytes(300_001);
		const result = await inspect(bytes, 1_000_000, 65_536);
		expect(result.size).to.equal(bytes.length);
		expect(result.sha256).to.equal(crypto.createHash("sha256").update(bytes).digest("hex"));
		expect(result.head.equals(bytes.subarray(0, 64 * 1024))).to.equal(true);
	});

	it("fails with 413 as soon as the stream passes the limit", async () => {
		const inspector = new UploadInspector(1000);
		let written = 0;
		const error = await pipeline(
			Readable.from([Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)]),
			inspector,
			new Writable({ write: (c: Buffer, _e, cb) => ((written += c.length), cb()) })
		).catch(err => err);
		expect(error.code).to.equal(413);
		expect(written).to.equal(600);
	});

	it("tells valid UTF-8 from UTF-8 with broken sequences, even when a sequence is split between chunks", async () => {
		const valid = Buffer.from("Grüße aus München, 東京タワー 🎉 ".repeat(50));
		expect((await inspect(valid, 1e6, 3)).utf8).to.include({ valid: true, malformed: 0 });
		const broken = Buffer.concat([valid, Buffer.from([0xe6, 0x9d]), Buffer.from(" end")]);
		const result = await inspect(broken, 1e6, 5);
		expect(result.utf8.valid).to.equal(false);
		expect(result.utf8.firstMalformedAt).to.equal(valid.length);
		// Overlong forms and surrogates are not UTF-8 either.
		for (const bytes of [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
			expect((await inspect(Buffer.from(bytes))).utf8.valid, bytes.join(",")).to.equal(false);
		}
	});
});

describe("documents: type detection", () => {
	it("recognises PDF and DOCX by their bytes, whatever the client called them", async () => {
		const pdf = await pdfDocument(["Hello"]);
		expect(await detect(pdf, "report.pdf")).to.deep.equal({ mimeType: "application/pdf", charset: null });
		expect(await detect(pdf, "no-extension")).to.deep.equal({ mimeType: "application/pdf", charset: null });
		expect(await detect(pdf, "scan.pdf.backup")).to.deep.equal({ mimeType: "application/pdf", charset: null });
		const docx = await docxDocument([{ heading: "Title", paragraphs: ["Body"] }]);
		expect((await detect(docx, "letter.docx")).mimeType).to.equal("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
	});

	it("refuses with 415 a name that contradicts the content", async () => {
		const exe = await refusal(windowsExecutable(), "invoice.pdf");
		expect(exe.code).to.equal(415);
		expect(exe.message).to.match(/application\/x-msdownload/);
		expect((await refusal(await pdfDocument(["x"]), "notes.txt")).message).to.match(/\.txt.*PDF/);
		expect((await refusal(await pdfDocument(["x"]), "photo.jpg")).code).to.equal(415);
		expect((await refusal("just some text", "report.pdf")).message).to.match(/\.pdf.*not a PDF/);
		expect((await refusal("just some text", "letter.docx")).code).to.equal(415);
		expect((await refusal("just some text", "tool.exe")).code).to.equal(415);
	});

	it("refuses unsupported and unknown binary formats with 415", async () => {
		const png = Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), Buffer.alloc(64)]);
		expect((await refusal(png, "image.png")).message).to.match(/image\/png/);
		expect((await refusal(zipArchive([{ name: "a.txt", data: Buffer.from("hi") }]), "archive.zip")).message).to.match(/application\/zip/);
		const random = crypto.randomBytes(4096);
		for (const name of ["data.txt", "data", "data.csv"]) {
			const error = await refusal(random, name);
			expect(error.code, name).to.equal(415);
			expect(error.message).to.match(/binary/);
		}
		// Text with a scattering of NULs is binary too: no text format contains them.
		expect((await refusal(Buffer.concat([Buffer.from("hello world ".repeat(100)), Buffer.from([0, 0, 1, 2])]), "x.txt")).code).to.equal(415);
	});

	it("refuses an empty file with 422", async () => {
		const error = await refusal(Buffer.alloc(0), "empty.txt");
		expect(error.code).to.equal(422);
		expect(error.message).to.match(/empty/);
	});

	it("refuses UTF-8 with broken sequences with 422, naming the offset", async () => {
		const good = Buffer.from("Grüße aus München. Ça va? 東京タワー. ");
		const error = await refusal(Buffer.concat([good, Buffer.from([0xe6, 0x9d]), Buffer.from(" more text ü"), Buffer.from([0xff])]), "notes.txt");
		expect(error.code).to.equal(422);
		expect(error.message).to.include(`offset ${good.length}`);
	});

	const sample = {
		western: "“Smart quotes” — the euro € sign. Café crème brûlée, déjà vu, señor, Grüße. Les élèves étudient à l'école.",
		cyrillic: "Привет, как дела? Это тестовый документ на русском языке. Москва — столица России.",
		japanese: "これは日本語のテスト文書です。東京は日本の首都です。今日は天気がいいですね。",
		chinese: "这是一个中文测试文件。北京是中国的首都。今天天气很好，我们去公园散步吧。",
		korean: "이것은 한국어 테스트 문서입니다. 서울은 대한민국의 수도입니다. 오늘 날씨가 좋습니다.",
		latin: "Hello world, this is text in a Unicode encoding. Grüße, 東京, 🎉.",
	};
	const encodings: { encoding: string; text: string; bom?: boolean; charset: RegExp }[] = [
		{ encoding: "utf8", text: sample.latin, charset: /^utf-8$/ },
		{ encoding: "utf8", text: sample.latin, bom: true, charset: /^utf-8$/ },
		{ encoding: "utf16le", text: sample.latin, bom: true, charset: /^utf-16le$/ },
		{ encoding: "utf16le", text: sample.latin, charset: /^utf-16le$/ },
		{ encoding: "utf16be", text: sample.latin, bom: true, charset: /^utf-16be$/ },
		{ encoding: "utf32le", text: sample.latin, bom: true, charset: /^utf-32le$/ },
		{ encoding: "win1252", text: sample.western, charset: /^windows-1252$/ },
		{ encoding: "latin1", text: sample.western.replace(/[“”—€]/g, "'"), charset: /^windows-1252$/ },
		{ encoding: "win1251", text: sample.cyrillic, charset: /^windows-1251$/ },
		{ encoding: "koi8-r", text: sample.cyrillic.replace("—", "-"), charset: /^koi8-r$/ },
		{ encoding: "shift_jis", text: sample.japanese, charset: /^shift_jis$/ },
		{ encoding: "euc-jp", text: sample.japanese, charset: /^euc-jp$/ },
		{ encoding: "gb18030", text: sample.chinese, charset: /^gb18030$/ },
		{ encoding: "euc-kr", text: sample.korean, charset: /^euc-kr$/ },
	];
	for (const { encoding, text, bom, charset } of encodings) {
		it(`reads text in ${encoding}${bom ? " with a byte order mark" : ""} back exactly`, async () => {
			const bytes = await encodedText(text, encoding, { bom });
			const detected = await detect(bytes, "notes.txt");
			expect(detected.mimeType).to.equal("text/plain");
			expect(detected.charset).to.match(charset);
			expect((await decodeText(bytes, detected.charset!)).replace(/^\uFEFF/, "")).to.equal(text);
		});
	}

	it("lets the extension choose among text formats, and sniffs the format when the name does not say", async () => {
		expect((await detect(MARKDOWN_TEXT, "plan.md")).mimeType).to.equal("text/markdown");
		expect((await detect("no headings at all", "plain.md")).mimeType).to.equal("text/markdown");
		expect((await detect(HTML_PAGE, "page.txt")).mimeType).to.equal("text/plain");
		expect((await detect(CSV_TEXT, "sites.tsv")).mimeType).to.equal("text/csv");
		expect((await detect(HTML_PAGE, "page")).mimeType).to.equal("text/html");
		expect((await detect(JSON_TEXT, "data")).mimeType).to.equal("application/json");
		expect((await detect(CSV_TEXT, "export")).mimeType).to.equal("text/csv");
		expect((await detect(MARKDOWN_TEXT, "README")).mimeType).to.equal("text/markdown");
		expect((await detect("Dear team,\nthe meeting moved to Friday.\nRegards", "letter")).mimeType).to.equal("text/plain");
		// XML is text to us: file-type's "xml" does not make it an unsupported binary.
		expect((await detect('<?xml version="1.0"?><note><to>Ada</to></note>', "note.xml")).mimeType).to.equal("text/plain");
	});
});

describe("documents: text format sniffing", () => {
	it("does not mistake prose or Markdown tables for CSV", () => {
		expect(sniffTextKind("Hello, world.\nGoodbye, world.\n", true)).to.equal("text/plain");
		expect(sniffTextKind("# Sizes\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", true)).to.equal("text/markdown");
	});

	it("calls JSON only what parses, when the whole file is at hand", () => {
		expect(sniffTextKind('{"a": 1}', true)).to.equal("application/json");
		expect(sniffTextKind("{not json}", true)).to.equal("text/plain");
		expect(sniffTextKind('[{"a": 1}, {"a": 2', false)).to.equal("application/json");
	});

	it("recognises HTML fragments and XHTML", () => {
		expect(sniffTextKind('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>', true)).to.equal("text/html");
		expect(sniffTextKind("<div><p>One</p><p>Two</p><table><tr><td>x</td></tr></table></div>", true)).to.equal("text/html");
		expect(sniffTextKind("a < b and c > d", true)).to.equal("text/plain");
	});
});
