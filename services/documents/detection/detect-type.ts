import { invalidInput, unsupportedMediaType } from "../../../shared/errors.ts";
import type { UploadInspection } from "../upload/upload-inspector.ts";
import { detectCharset } from "./charset.ts";
import { decodeText } from "../text/decode-text.ts";
import { BINARY_FORMATS, EXTENSION_FORMATS, FORMAT_NAMES, TEXTUAL_FILE_TYPES, extensionOf, type SupportedMimeType } from "./formats.ts";
import { sniffTextKind } from "./text-kind.ts";

export interface DetectedType {
	mimeType: SupportedMimeType;
	/** For text formats: the charset the bytes are in. */
	charset: string | null;
}

/** Extensions file-type knows that are commonly used for text too. */
const GENERIC_EXTENSIONS = new Set(["dat"]);

function mismatch(ext: string, content: string): Error {
	return unsupportedMediaType(`The file name ends in .${ext}, but the content is ${content}; rename it or upload the right file`);
}

/**
 * Decides what an upload is from its bytes: binary formats by their magic numbers (file-type),
 * text by charset detection and sniffing. The file name's extension must not contradict the
 * content where that matters (an executable named .pdf, text named .docx); among text formats the
 * extension chooses (a .md file is Markdown even when it has no headings).
 */
export async function detectType(inspection: UploadInspection, filename: string): Promise<DetectedType> {
	if (inspection.size === 0) throw invalidInput("The file is empty");
	const ext = extensionOf(filename);
	const named: SupportedMimeType | undefined = EXTENSION_FORMATS[ext];
	const { fileTypeFromBuffer, supportedExtensions } = await import("file-type");
	const namesBinaryFormat = (extension: string) =>
		supportedExtensions.has(extension as never) && !TEXTUAL_FILE_TYPES.has(extension) && !GENERIC_EXTENSIONS.has(extension);

	const found = await fileTypeFromBuffer(inspection.head);
	if (found && !TEXTUAL_FILE_TYPES.has(found.ext)) {
		if (!BINARY_FORMATS.has(found.mime)) {
			throw unsupportedMediaType(
				`Unsupported file type: the content is ${found.mime} (.${found.ext}). Supported: PDF, DOCX, HTML, Markdown, CSV, JSON and plain text`
			);
		}
		const mimeType = found.mime as SupportedMimeType;
		if ((named && named !== mimeType) || (!named && ext && namesBinaryFormat(ext))) {
			throw mismatch(ext, `a ${FORMAT_NAMES[mimeType]}`);
		}
		return { mimeType, charset: null };
	}

	if ((named && BINARY_FORMATS.has(named)) || (!named && ext && namesBinaryFormat(ext))) {
		throw mismatch(ext, named ? `not a ${FORMAT_NAMES[named]}` : "not in that format");
	}
	const charset = await detectCharset(inspection);
	if (named) return { mimeType: named, charset };
	const sample = await decodeText(inspection.head, charset);
	return { mimeType: sniffTextKind(sample, inspection.head.length === inspection.size), charset };
}
