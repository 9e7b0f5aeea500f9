import { ExtractionError } from "./extraction-error.ts";
import { htmlToText } from "./html-to-text.ts";
import { checkZip, type ZipLimits } from "./zip-guard.ts";
import type { DecodedBudget } from "./decoded-budget.ts";

/**
 * Text of a Word document: the archive is checked for bombs first (every entry inflated and
 * counted against `budget`), then mammoth turns the document into HTML (keeping headings, lists
 * and tables) and that becomes text.
 */
export async function extractDocx(bytes: Uint8Array, zipLimits: ZipLimits, budget: DecodedBudget): Promise<string> {
	await checkZip(bytes, zipLimits, budget);
	const mammoth = (await import("mammoth")).default;
	let html: string;
	try {
		({ value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) }));
	} catch (err) {
		throw new ExtractionError(`The Word document is damaged: ${(err as Error).message}`);
	}
	return htmlToText(html);
}
