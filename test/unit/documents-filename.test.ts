import { expect } from "chai";
import { attachmentDisposition, cleanFilename } from "../../services/documents/upload/safe-filename.ts";

describe("documents: file names", () => {
	it("keeps only the last path segment, whichever slash the client used", () => {
		expect(cleanFilename("../../etc/passwd")).to.equal("passwd");
		expect(cleanFilename("..\\..\\windows\\system32\\report.pdf")).to.equal("report.pdf");
		expect(cleanFilename("/abs/path/to/notes.txt")).to.equal("notes.txt");
	});

	it("removes control and direction-override characters, leading dots, reserved characters", () => {
		expect(cleanFilename("evil\u202Efdp.exe")).to.equal("evilfdp.exe");
		expect(cleanFilename("line\r\nbreak\u0000.txt")).to.equal("linebreak.txt");
		expect(cleanFilename(".hidden")).to.equal("hidden");
		expect(cleanFilename('what?<is>"this"*.md')).to.equal("what__is__this__.md");
		expect(cleanFilename("  spaced   out  .txt ")).to.equal("spaced out .txt");
	});

	it("falls back to a generic name when nothing is left", () => {
		for (const raw of ["", "..", "../", "\u0000\u0001", undefined, 42]) expect(cleanFilename(raw)).to.equal("document");
	});

	it("bounds the length in bytes and keeps the extension", () => {
		const cleaned = cleanFilename("ü".repeat(300) + ".pdf");
		expect(Buffer.byteLength(cleaned)).to.be.at.most(200);
		expect(cleaned.endsWith(".pdf")).to.equal(true);
	});

	it("normalises to NFC so one name has one spelling", () => {
		expect(cleanFilename("Cafe\u0301.txt")).to.equal("Caf\u00e9.txt");
	});

	it("writes Content-Disposition with an ASCII fallback and the exact UTF-8 name", () => {
		expect(attachmentDisposition("report.pdf")).to.equal(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
		expect(attachmentDisposition("Grüße (v2).txt")).to.equal(`attachment; filename="Gr__e (v2).txt"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%28v2%29.txt`);
		expect(attachmentDisposition('a"b\\c.txt')).to.match(/^attachment; filename="a_b_c.txt";/);
	});
});
