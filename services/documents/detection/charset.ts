import { invalidInput, unsupportedMediaType } from "../../../shared/errors.ts";
import type { UploadInspection } from "../upload/upload-inspector.ts";
import { decodeText } from "../text/decode-text.ts";

/** More control characters than this share of the bytes means binary data, not text. */
const MAX_CONTROL_SHARE = 0.001;

const BOMS: { bytes: number[]; charset: string }[] = [
	// UTF-32 before UTF-16: FF FE 00 00 also starts with the UTF-16LE mark.
	{ bytes: [0xff, 0xfe, 0x00, 0x00], charset: "utf-32le" },
	{ bytes: [0x00, 0x00, 0xfe, 0xff], charset: "utf-32be" },
	{ bytes: [0xef, 0xbb, 0xbf], charset: "utf-8" },
	{ bytes: [0xff, 0xfe], charset: "utf-16le" },
	{ bytes: [0xfe, 0xff], charset: "utf-16be" },
];

function byteOrderMark(head: Buffer): string | undefined {
	return BOMS.find(bom => head.length >= bom.bytes.length && bom.bytes.every((b, i) => head[i] === b))?.charset;
}

/** UTF-16 without a mark: mostly-Latin text has a zero in every other byte, always on the same side. */
function unmarkedUtf16(head: Buffer): string | undefined {
	const pairs = Math.floor(Math.min(head.length, 4096) / 2);
	if (pairs < 2) return undefined;
	let evenZeros = 0;
	let oddZeros = 0;
	for (let i = 0; i < pairs; i++) {
		if (head[2 * i] === 0) evenZeros++;
		if (head[2 * i + 1] === 0) oddZeros++;
	}
	if (oddZeros > pairs * 0.6 && evenZeros < pairs * 0.05) return "utf-16le";
	if (evenZeros > pairs * 0.6 && oddZeros < pairs * 0.05) return "utf-16be";
	return undefined;
}

/** chardet's names, mapped to WHATWG labels TextDecoder knows; ASCII and Latin-1 read as windows-1252, their superset. */
function decoderLabel(chardetName: string): string | undefined {
	const name = chardetName.toLowerCase();
	if (name === "ascii" || name === "iso-8859-1") return "windows-1252";
	if (name.startsWith("utf-") || name === "mbcs" || name === "sbcs" || name === "iso_2022") return undefined;
	try {
		return new TextDecoder(name).encoding;
	} catch {
		return undefined;
	}
}

function binaryContent(): Error {
	return unsupportedMediaType("The file contains binary data, not text, and is not a supported format (PDF, DOCX, HTML, Markdown, CSV, JSON or plain text)");
}

/** Share of control characters (and undecodable bytes) in decoded text. */
function controlShare(text: string): number {
	if (text.length === 0) return 0;
	let bad = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code === 0xfffd || code < 0x09 || (code > 0x0d && code < 0x20 && code !== 0x1b)) bad++;
	}
	return bad / text.length;
}

/**
 * The charset of a file already known not to be a binary format: its byte order mark, else UTF-8
 * when every byte is valid UTF-8, else chardet's best legacy guess. A file that is UTF-8 with broken
 * sequences is refused (422) rather than guessed as Latin-1, and binary data is refused (415).
 */
export async function detectCharset(inspection: UploadInspection): Promise<string> {
	const { head } = inspection;
	const wide = byteOrderMark(head) ?? unmarkedUtf16(head);
	if (wide && wide !== "utf-8") {
		if (controlShare(await decodeText(head.subarray(0, 8192), wide)) > 0.01) throw binaryContent();
		return wide;
	}
	if (inspection.nulBytes > 0 || inspection.controlBytes > inspection.size * MAX_CONTROL_SHARE) throw binaryContent();
	if (inspection.utf8.valid) return "utf-8";
	// Legacy CJK encodings form a valid UTF-8 pair now and then; real UTF-8 with damage is mostly valid.
	if (inspection.utf8.multibyte >= 2 * inspection.utf8.malformed) {
		throw invalidInput(
			`The text is not valid UTF-8: the first invalid byte is at offset ${inspection.utf8.firstMalformedAt}. Save it as UTF-8 (or in one consistent encoding) and upload it again`
		);
	}
	const chardet = (await import("chardet")).default;
	for (const match of chardet.analyse(head)) {
		const label = decoderLabel(match.name);
		if (label) return label;
	}
	return "windows-1252";
}
