/**
 * Real documents for tests, generated with the libraries that write them (pdfkit, docx,
 * iconv-lite) or byte by byte where a test needs a broken or hostile file. Plus the HTTP steps
 * of uploading them: FormData for ordinary uploads, a hand-made multipart stream for the cases
 * FormData cannot express (two files, a field after the file, 100 MB never held in memory).
 */
import crypto from "node:crypto";
import zlib from "node:zlib";
import { http, type HttpResult } from "./http.ts";

// ---------------------------------------------------------------- well-formed documents

/** A PDF with one page per entry (pdfkit). `userPassword` encrypts it. */
export async function pdfDocument(pages: string[], options: { userPassword?: string } = {}): Promise<Buffer> {
	const { default: PDFDocument } = await import("pdfkit");
	const doc = new PDFDocument({ size: "A4", margin: 50, ...(options.userPassword ? { userPassword: options.userPassword, ownerPassword: "owner-secret", pdfVersion: "1.7" as const } : {}) });
	const parts: Buffer[] = [];
	doc.on("data", (chunk: Buffer) => parts.push(chunk));
	const ended = new Promise<void>(resolve => doc.on("end", () => resolve()));
	pages.forEach((text, i) => {
		if (i > 0) doc.addPage();
		doc.fontSize(11).text(text);
	});
	doc.end();
	await ended;
	return Buffer.concat(parts);
}

export interface DocxSection {
	heading?: string;
	paragraphs: string[];
}

/** A Word document (docx package): each section a Heading 1 and its paragraphs. */
export async function docxDocument(sections: DocxSection[]): Promise<Buffer> {
	const { Document, HeadingLevel, Packer, Paragraph } = await import("docx");
	const children = sections.flatMap(section => [
		...(section.heading ? [new Paragraph({ text: section.heading, heading: HeadingLevel.HEADING_1 })] : []),
		...section.paragraphs.map(text => new Paragraph(text)),
	]);
	return Packer.toBuffer(new Document({ sections: [{ children }] }));
}

export const HTML_PAGE = `<!DOCTYPE html>
<html lang="en"><head><title>Quarterly report</title>
<style>body { color: red; } .secret-style-marker {}</style>
<script>window.secretScriptMarker = "never extracted";</script></head>
<body><h1>Solar output</h1><p>Output grew by <b>12 percent</b> in the third quarter.</p>
<noscript>noscript-marker</noscript>
<h2>Outlook</h2><ul><li>More panels in Seville</li><li>Storage in Oslo</li></ul>
<table><tr><th>Site</th><th>MWh</th></tr><tr><td>Seville</td><td>420</td></tr></table>
<a href="https://example.com/hidden-href">the full report</a></body></html>`;

export const MARKDOWN_TEXT = `# Project plan

The team ships the **first release** in March. See [the tracker](https://example.com/tracker).

## Risks

- Supplier delays
- Budget overruns

## Timeline

1. Design in January
2. Build in February
`;

export const CSV_TEXT = `site,city,output_mwh
Alpha,Seville,420
Beta,"Oslo, Norway",315
Gamma,Lyon,298
`;

export const JSON_TEXT = `{"report":{"title":"Grid status","sites":[{"name":"Alpha","output":420},{"name":"Beta","output":315}],"id":12345678901234567890}}`;

/** `text` in a legacy or Unicode encoding (iconv-lite), with the byte order mark when asked. */
export async function encodedText(text: string, encoding: string, options: { bom?: boolean } = {}): Promise<Buffer> {
	const iconv = (await import("iconv-lite")).default;
	return iconv.encode(text, encoding, { addBOM: options.bom ?? false });
}

// ---------------------------------------------------------------- broken and hostile documents

/**
 * A PDF of `pages` blank pages, written directly (a few dozen bytes per page), so a test can ask a
 * parser for a hundred thousand pages without generating them with a layout engine.
 */
export function pdfWithBlankPages(pages: number): Buffer {
	const objects = ["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Kids [${Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(" ")}] /Count ${pages} >>`];
	for (let i = 0; i < pages; i++) objects.push("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>");
	const parts: string[] = ["%PDF-1.4\n"];
	let length = parts[0].length;
	const offsets: number[] = [];
	objects.forEach((object, i) => {
		offsets.push(length);
		const part = `${i + 1} 0 obj\n${object}\nendobj\n`;
		parts.push(part);
		length += part.length;
	});
	parts.push(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`);
	for (const offset of offsets) parts.push(`${String(offset).padStart(10, "0")} 00000 n \n`);
	parts.push(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`);
	return Buffer.from(parts.join(""), "latin1");
}

export interface ZipEntry {
	name: string;
	data: Buffer;
}

/** A zip archive (deflate), written byte by byte so a test can put anything in it, bombs included. */
export function zipArchive(entries: ZipEntry[]): Buffer {
	return zipOfDeflated(
		entries.map(entry => ({ name: entry.name, size: entry.data.length, crc: zlib.crc32(entry.data), compressed: zlib.deflateRawSync(entry.data, { level: 9 }) }))
	);
}

/** A zip entry already deflated (raw deflate), with the size and CRC-32 of what it inflates to. */
export interface DeflatedZipEntry {
	name: string;
	size: number;
	crc: number;
	compressed: Buffer;
}

/** A zip archive of already deflated entries (sizes below 4 GiB: no zip64). */
export function zipOfDeflated(entries: DeflatedZipEntry[]): Buffer {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for (const entry of entries) {
		const name = Buffer.from(entry.name, "utf8");
		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50, 0);
		local.writeUInt16LE(20, 4); // version needed
		local.writeUInt16LE(0x0800, 6); // UTF-8 names
		local.writeUInt16LE(8, 8); // deflate
		local.writeUInt32LE(entry.crc, 14);
		local.writeUInt32LE(entry.compressed.length, 18);
		local.writeUInt32LE(entry.size, 22);
		local.writeUInt16LE(name.length, 26);
		const central = Buffer.alloc(46);
		central.writeUInt32LE(0x02014b50, 0);
		central.writeUInt16LE(20, 4);
		central.writeUInt16LE(20, 6);
		central.writeUInt16LE(0x0800, 8);
		central.writeUInt16LE(8, 10);
		central.writeUInt32LE(entry.crc, 16);
		central.writeUInt32LE(entry.compressed.length, 20);
		central.writeUInt32LE(entry.size, 24);
		central.writeUInt16LE(name.length, 28);
		central.writeUInt32LE(offset, 42);
		locals.push(local, name, entry.compressed);
		centrals.push(central, name);
		offset += local.length + name.length + entry.compressed.length;
	}
	const directory = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(directory.length, 12);
	end.writeUInt32LE(offset, 16);
	return Buffer.concat([...locals, directory, end]);
}

const DOCX_CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;

/** A DOCX-shaped archive whose document part inflates to `inflatedBytes` of nothing from a few kilobytes. */
export function docxZipBomb(inflatedBytes: number): Buffer {
	return zipArchive([
		{ name: "[Content_Types].xml", data: Buffer.from(DOCX_CONTENT_TYPES) },
		{ name: "word/document.xml", data: Buffer.alloc(inflatedBytes, 0x20) },
	]);
}

// ---------------------------------------------------------------- uploading

export interface UploadFile {
	name: string;
	bytes: Buffer | string;
	/** What the client claims; the server decides from the content. */
	type?: string;
}

/** POST /api/v1/documents with FormData: `fields` go before the file, as the contract asks. */
export function uploadFile(baseUrl: string, token: string, file: UploadFile, options: { fields?: Record<string, string>; query?: string } = {}): Promise<HttpResult> {
	const form = new FormData();
	for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
	form.append("file", new Blob([file.bytes], { type: file.type ?? "application/octet-stream" }), file.name);
	return http(baseUrl, "POST", `/api/v1/documents${options.query ? `?${options.query}` : ""}`, { token, raw: form });
}

export type MultipartPart =
	| { field: string; value: string }
	| { file: string; filename: string; type?: string; content: Buffer | { bytes: number; chunk?: Buffer } | AsyncIterable<Uint8Array> }
	/** Sends the next delimiter (so the part before has visibly ended), then waits this long. */
	| { pauseMs: number }
	/** The client breaks the connection off here. */
	| { breakOff: true };

/**
 * POST /api/v1/documents with a multipart body written by hand and streamed: parts in any order,
 * any number of files, and generated content of any size (a byte count, or the caller's own
 * generator) that never exists in memory at once; pauses between parts, or a client that breaks
 * off (status 0, the error in `text`).
 */
export async function uploadMultipart(baseUrl: string, token: string, parts: MultipartPart[]): Promise<HttpResult> {
	const boundary = `----test${crypto.randomBytes(12).toString("hex")}`;
	let delimiterSent = false;
	const delimiter = () => {
		const text = delimiterSent ? "" : `--${boundary}`;
		delimiterSent = false;
		return text;
	};
	async function* body(): AsyncGenerator<Uint8Array> {
		for (const part of parts) {
			if ("pauseMs" in part) {
				yield Buffer.from(delimiter());
				delimiterSent = true;
				await new Promise(r => setTimeout(r, part.pauseMs));
				continue;
			}
			if ("breakOff" in part) throw new Error("the client broke the upload off");
			if ("field" in part) {
				yield Buffer.from(`${delimiter()}\r\nContent-Disposition: form-data; name="${part.field}"\r\n\r\n${part.value}\r\n`);
				continue;
			}
			yield Buffer.from(`${delimiter()}\r\nContent-Disposition: form-data; name="${part.file}"; filename="${part.filename}"\r\nContent-Type: ${part.type ?? "application/octet-stream"}\r\n\r\n`);
			if (Buffer.isBuffer(part.content)) {
				yield part.content;
			} else if (Symbol.asyncIterator in part.content) {
				yield* part.content;
			} else {
				const chunk = part.content.chunk ?? Buffer.alloc(1024 * 1024, "a");
				for (let sent = 0; sent < part.content.bytes; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, part.content.bytes - sent));
			}
			yield Buffer.from("\r\n");
		}
		yield Buffer.from(`${delimiter()}--\r\n`);
	}
	let res: Response;
	try {
		res = await fetch(`${baseUrl}/api/v1/documents`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": `multipart/form-data; boundary=${boundary}` },
			body: ReadableStream.from(body()),
			duplex: "half",
		} as RequestInit);
	} catch (err) {
		if (!parts.some(part => "breakOff" in part)) throw err;
		return { status: 0, headers: new Headers(), body: undefined, text: String((err as Error).cause ?? err) };
	}
	const text = await res.text();
	let parsed: unknown = text;
	try {
		parsed = JSON.parse(text);
	} catch {
		// not JSON
	}
	return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Polls GET /api/v1/documents/:id until extraction has ended (ready or failed). */
export async function extractedDocument(baseUrl: string, token: string, id: string, timeoutMs = 20_000): Promise<any> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const res = await http(baseUrl, "GET", `/api/v1/documents/${id}`, { token });
		if (res.status !== 200) throw new Error(`GET document ${id} answered ${res.status}: ${res.text}`);
		if (res.body.status === "ready" || res.body.status === "failed") return res.body;
		if (Date.now() > deadline) throw new Error(`document ${id} still ${res.body.status} after ${timeoutMs} ms`);
		await new Promise(r => setTimeout(r, 50));
	}
}

/** Uploads, expects 201, waits for extraction; returns the final document. */
export async function uploadAndExtract(baseUrl: string, token: string, file: UploadFile, timeoutMs?: number): Promise<any> {
	const upload = await uploadFile(baseUrl, token, file);
	if (upload.status !== 201) throw new Error(`upload of ${file.name} answered ${upload.status}: ${upload.text}`);
	return extractedDocument(baseUrl, token, upload.body.id, timeoutMs);
}
