/**
 * The allow-list: every format the platform extracts text from, its MIME type and the file-name
 * extensions that announce it. Anything else is refused with 415.
 */

export const PDF = "application/pdf";
export const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
export const PLAIN_TEXT = "text/plain";
export const MARKDOWN = "text/markdown";
export const CSV = "text/csv";
export const JSON_TYPE = "application/json";
export const HTML = "text/html";

export type SupportedMimeType = typeof PDF | typeof DOCX | typeof PLAIN_TEXT | typeof MARKDOWN | typeof CSV | typeof JSON_TYPE | typeof HTML;

/** Formats recognised by their bytes (file-type); the others are text, recognised by sniffing. */
export const BINARY_FORMATS: ReadonlySet<string> = new Set([PDF, DOCX]);

export const FORMAT_NAMES: Record<SupportedMimeType, string> = {
	[PDF]: "PDF",
	[DOCX]: "Word document (DOCX)",
	[PLAIN_TEXT]: "plain text",
	[MARKDOWN]: "Markdown",
	[CSV]: "CSV",
	[JSON_TYPE]: "JSON",
	[HTML]: "HTML",
};

/** The format a file name's extension announces. */
export const EXTENSION_FORMATS: Readonly<Record<string, SupportedMimeType>> = {
	pdf: PDF,
	docx: DOCX,
	txt: PLAIN_TEXT,
	text: PLAIN_TEXT,
	log: PLAIN_TEXT,
	md: MARKDOWN,
	markdown: MARKDOWN,
	mdown: MARKDOWN,
	mkd: MARKDOWN,
	csv: CSV,
	tsv: CSV,
	json: JSON_TYPE,
	html: HTML,
	htm: HTML,
	xhtml: HTML,
};

/**
 * file-type answers these for content that is really text (an XML prolog, a calendar, subtitles):
 * such files go through the text sniffer instead of being refused as an unsupported binary format.
 */
export const TEXTUAL_FILE_TYPES: ReadonlySet<string> = new Set(["xml", "ics", "vcf", "vtt", "reg"]);

export function extensionOf(filename: string): string {
	const dot = filename.lastIndexOf(".");
	return dot > 0 && dot < filename.length - 1 ? filename.slice(dot + 1).toLowerCase() : "";
}
