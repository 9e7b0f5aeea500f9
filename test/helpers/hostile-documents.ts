/**
 * Decompression bombs built in code, for the extraction tests and `npm run bench:hostile`: a PDF
 * whose page content inflates to hundreds of megabytes, a DOCX whose XML does the same at a ratio
 * an ordinary archive check lets through, and the PDF plumbing to wrap any encoded stream in a
 * one-page document. Large contents are generated and compressed chunk by chunk, never held whole.
 */
import zlib from "node:zlib";
import { zipOfDeflated } from "./documents.ts";

/** Compresses the pieces as they are generated (deflate with its zlib header, or raw deflate for a zip entry). */
async function compressStreamed(pieces: Iterable<Buffer>, raw: boolean): Promise<{ compressed: Buffer; crc: number; size: number }> {
	const deflate = raw ? zlib.createDeflateRaw({ level: 9 }) : zlib.createDeflate({ level: 9 });
	const parts: Buffer[] = [];
	deflate.on("data", (part: Buffer) => parts.push(part));
	const ended = new Promise<void>((resolve, reject) => deflate.on("end", resolve).on("error", reject));
	let crc = 0;
	let size = 0;
	for (const piece of pieces) {
		crc = zlib.crc32(piece, crc);
		size += piece.length;
		if (!deflate.write(piece)) await new Promise(resolve => deflate.once("drain", resolve));
	}
	deflate.end();
	await ended;
	return { compressed: Buffer.concat(parts), crc, size };
}

/** A PDF stream's `Filter` entry and encoded bytes. */
export interface EncodedStream {
	filter?: string;
	data: Buffer;
}

/**
 * A one-page PDF whose page content is `content` (already encoded), with a correct cross-reference
 * table. `indirectLength` puts the stream's length in an object of its own, as many writers do.
 */
export function pdfWithContent(content: EncodedStream, options: { indirectLength?: boolean; extraObjects?: string[] } = {}): Buffer {
	const filter = content.filter ? ` /Filter ${content.filter}` : "";
	const lengthEntry = options.indirectLength ? "5 0 R" : String(content.data.length);
	const objects: Buffer[] = [
		Buffer.from("<< /Type /Catalog /Pages 2 0 R >>"),
		Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
		Buffer.from("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"),
		Buffer.concat([Buffer.from(`<< /Length ${lengthEntry}${filter} >>\nstream\n`), content.data, Buffer.from("\nendstream")]),
		Buffer.from(String(content.data.length)),
		...(options.extraObjects ?? []).map(object => Buffer.from(object)),
	];
	const parts: Buffer[] = [Buffer.from("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n", "latin1")];
	let length = parts[0].length;
	const offsets: number[] = [];
	objects.forEach((object, i) => {
		offsets.push(length);
		const part = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), object, Buffer.from("\nendobj\n")]);
		parts.push(part);
		length += part.length;
	});
	const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map(offset => `${String(offset).padStart(10, "0")} 00000 n \n`)].join("");
	parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
	return Buffer.concat(parts);
}

/** A PDF whose one page's content stream (FlateDecode) inflates to `inflatedBytes` of text operators. */
export async function pdfBomb(inflatedBytes: number): Promise<Buffer> {
	const line = Buffer.from("BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n".padEnd(4096, " "));
	const block = Buffer.alloc(1024 * 1024);
	for (let i = 0; i < block.length; i += line.length) line.copy(block, i);
	const blocks = function* () {
		for (let written = 0; written < inflatedBytes; written += block.length) yield block.subarray(0, inflatedBytes - written);
	};
	const { compressed } = await compressStreamed(blocks(), false);
	return pdfWithContent({ filter: "/FlateDecode", data: compressed });
}

/** Text that deflate shrinks only so far: a deterministic generator's letters and spaces. */
function pseudoRandomText(bytes: number, seed: number): Buffer {
	const out = Buffer.alloc(bytes);
	let state = seed >>> 0 || 1;
	for (let i = 0; i < bytes; i++) {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		const r = (state >>> 0) % 27;
		out[i] = r === 26 ? 0x20 : 0x61 + r;
	}
	return out;
}

/** Letters per megabyte of the DOCX bomb's XML that deflate cannot shrink much: they set its ratio. */
const VARIED_BYTES_PER_MB = 15_000;

/**
 * A DOCX-shaped archive whose word/document.xml is `xmlBytes` of well-formed paragraphs at a
 * ratio of about 86:1, under the 100:1 an archive check allows for large entries: each 1 MB of
 * XML repeats a paragraph around a few kilobytes of text deflate cannot shrink much.
 */
export async function docxBomb(xmlBytes: number): Promise<Buffer> {
	const head = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>');
	const tail = Buffer.from("</w:body></w:document>");
	const paragraph = (text: Buffer) => Buffer.concat([Buffer.from("<w:p><w:r><w:t>"), text, Buffer.from("</w:t></w:r></w:p>")]);
	const blockSize = 1024 * 1024;
	const block = (index: number) => {
		const varied = paragraph(pseudoRandomText(VARIED_BYTES_PER_MB, index + 1));
		const filler = paragraph(Buffer.alloc(1000, 0x20));
		const parts: Buffer[] = [varied];
		let size = varied.length;
		while (size + filler.length <= blockSize) {
			parts.push(filler);
			size += filler.length;
		}
		parts.push(Buffer.alloc(blockSize - size, 0x20));
		return Buffer.concat(parts);
	};
	const pieces = function* () {
		yield head;
		for (let index = 0; index < Math.ceil((xmlBytes - head.length - tail.length) / blockSize); index++) yield block(index);
		yield tail;
	};
	const xml = await compressStreamed(pieces(), true);
	const contentTypes = Buffer.from(
		'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
	);
	const rels = Buffer.from(
		'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
	);
	return zipOfDeflated([
		{ name: "[Content_Types].xml", size: contentTypes.length, crc: zlib.crc32(contentTypes), compressed: zlib.deflateRawSync(contentTypes) },
		{ name: "_rels/.rels", size: rels.length, crc: zlib.crc32(rels), compressed: zlib.deflateRawSync(rels) },
		{ name: "word/document.xml", size: xml.size, crc: xml.crc, compressed: xml.compressed },
	]);
}

const WORDS = "the grid operator in Lyon reported megawatt hours from solar sites and costs fell by percent while storage in Oslo grew steadily across the region during winter months as Maria Schulz said on Monday".split(" ");

/** `characters` of English-looking prose (sentences and paragraphs), different for each seed. */
export function longEnglishText(characters: number, seed: number): string {
	let state = seed;
	const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff);
	const parts: string[] = [];
	let length = 0;
	while (length < characters) {
		const words = Array.from({ length: 8 + (next() % 15) }, () => WORDS[next() % WORDS.length]);
		const sentence = `${words.join(" ")}. `;
		parts.push(sentence[0].toUpperCase() + sentence.slice(1));
		length += sentence.length;
		if (parts.length % 8 === 0) parts.push("\n\n");
	}
	return parts.join("").slice(0, characters);
}
