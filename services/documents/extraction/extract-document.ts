/**
 * Turns one document's bytes into text, chunks and stats. Runs in an extraction process
 * (extraction-process.ts), never in the platform's: everything that parses untrusted bytes happens
 * there, under that process's memory ceiling and time limit. Compressed parts are counted against
 * the decoded budget while they inflate, before any parser holds them.
 */
import type { DocumentTextStats } from "../../../shared/contracts/documents.ts";
import { DOCX, HTML, PDF } from "../detection/formats.ts";
import { chunkText, type ChunkBoundary, type ChunkOptions } from "../text/chunk-text.ts";
import { normalizeText } from "../text/normalize-text.ts";
import { textStats } from "../text/text-stats.ts";
import { decodeText } from "../text/decode-text.ts";
import { extractDocx } from "./extract-docx.ts";
import { extractPdf } from "./extract-pdf.ts";
import { extractPlain, textPrefix } from "./extract-plain.ts";
import { ExtractionError } from "./extraction-error.ts";
import { DecodedBudget } from "./decoded-budget.ts";
import { htmlToText } from "./html-to-text.ts";
import type { ZipLimits } from "./zip-guard.ts";

export interface ExtractionLimits {
	maxCharacters: number;
	maxPdfPages: number;
	/** What the document's compressed parts (PDF streams, zip entries) may inflate to, in all. */
	maxDecodedBytes: number;
	zip: ZipLimits;
	chunks: ChunkOptions;
}

export interface ExtractionTask {
	/** The file, or for text formats at least its first textByteLimit() bytes. */
	bytes: Uint8Array;
	/** The whole file's size. */
	size: number;
	mimeType: string;
	charset: string | null;
	limits: ExtractionLimits;
}

export type ExtractionOutcome =
	| { ok: true; text: string; chunks: ChunkBoundary[]; stats: DocumentTextStats }
	/** A problem with the document, explained for the uploader. */
	| { ok: false; error: string };

async function rawText(task: ExtractionTask): Promise<{ text: string; pages: number | null; truncated: boolean }> {
	const { bytes, size, mimeType, limits } = task;
	if (mimeType === PDF) return extractPdf(bytes, { maxPages: limits.maxPdfPages, maxCharacters: limits.maxCharacters }, new DecodedBudget(limits.maxDecodedBytes));
	if (mimeType === DOCX) return { text: await extractDocx(bytes, limits.zip, new DecodedBudget(limits.maxDecodedBytes)), pages: null, truncated: false };
	const charset = task.charset ?? "utf-8";
	if (mimeType === HTML) {
		const prefix = textPrefix(bytes, size, limits.maxCharacters);
		return { text: await htmlToText(await decodeText(prefix.bytes, charset, { prefix: prefix.cut })), pages: null, truncated: prefix.cut };
	}
	return { ...(await extractPlain(bytes, size, mimeType, charset, limits.maxCharacters)), pages: null };
}

export default async function extract(task: ExtractionTask): Promise<ExtractionOutcome> {
	try {
		const raw = await rawText(task);
		const { text, truncated } = normalizeText(raw.text, task.limits.maxCharacters);
		if (text.length === 0) return { ok: false, error: "The document contains no text (a scan or images only?)" };
		const chunks = chunkText(text, task.limits.chunks);
		const stats = await textStats(text, raw.pages, truncated || raw.truncated);
		return { ok: true, text, chunks, stats };
	} catch (err) {
		if (err instanceof ExtractionError) return { ok: false, error: err.message };
		throw err;
	}
}
