import { ExtractionError } from "./extraction-error.ts";
import type { DecodedBudget } from "./decoded-budget.ts";
import { checkPdfStreams } from "./pdf-stream-guard.ts";

export interface PdfLimits {
	maxPages: number;
	maxCharacters: number;
}

export interface PdfText {
	text: string;
	pages: number;
	truncated: boolean;
}

/** pdf.js names its failures; these are problems with the file, explained to the uploader. */
function explain(err: unknown): Error {
	const name = (err as { name?: string })?.name;
	if (name === "PasswordException") return new ExtractionError("The PDF is password-protected; upload a copy without a password");
	if (name === "InvalidPDFException") return new ExtractionError("The PDF is damaged or incomplete (its structure cannot be read)");
	if (name === "FormatError" || name === "UnknownErrorException") return new ExtractionError(`The PDF is damaged: ${(err as Error).message}`);
	return err as Error;
}

/**
 * Text of a PDF, page by page, each page's lines kept and pages separated by a blank line. Stops at
 * the character limit; refuses more pages than `maxPages` before reading any (a tiny file can
 * declare millions), and a file whose streams inflate past `budget` before pdf.js sees it.
 */
export async function extractPdf(bytes: Uint8Array, limits: PdfLimits, budget: DecodedBudget): Promise<PdfText> {
	await checkPdfStreams(bytes, budget);
	const { getDocumentProxy } = await import("unpdf");
	let pdf;
	try {
		// No console noise, no fonts loaded: text is all we want.
		pdf = await getDocumentProxy(bytes, { verbosity: 0, disableFontFace: true, useSystemFonts: false });
	} catch (err) {
		throw explain(err);
	}
	try {
		if (pdf.numPages > limits.maxPages) {
			throw new ExtractionError(`The PDF has ${pdf.numPages} pages; at most ${limits.maxPages} can be extracted`);
		}
		const pageTexts: string[] = [];
		let characters = 0;
		let truncated = false;
		for (let number = 1; number <= pdf.numPages; number++) {
			const page = await pdf.getPage(number).catch(err => Promise.reject(explain(err)));
			const content = await page.getTextContent();
			let text = "";
			for (const item of content.items) {
				if (!("str" in item)) continue;
				text += item.str;
				if (item.hasEOL) text += "\n";
			}
			page.cleanup();
			pageTexts.push(text.trim());
			characters += text.length;
			if (characters > limits.maxCharacters) {
				truncated = true;
				break;
			}
		}
		return { text: pageTexts.join("\n\n"), pages: pdf.numPages, truncated };
	} finally {
		await pdf.loadingTask.destroy();
	}
}
