/** Control characters other than tab and newline: never meaningful in extracted text, and PostgreSQL refuses NUL. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g;

export interface NormalizedText {
	text: string;
	truncated: boolean;
}

/**
 * One shape for every format's text: LF line ends, no control characters, no trailing spaces, at
 * most one blank line in a row, well-formed UTF-16 (what is stored is exactly what offsets point
 * into), cut at `maxCharacters` without splitting a character.
 */
export function normalizeText(raw: string, maxCharacters: number): NormalizedText {
	let text = raw
		.replace(/\r\n?/g, "\n")
		.replace(/\f/g, "\n\n")
		.replace(CONTROL_CHARACTERS, "")
		.replace(/[ \t\u00a0]+$/gm, "")
		.replace(/\n{3,}/g, "\n\n")
		.trim()
		.toWellFormed();
	let truncated = false;
	if (text.length > maxCharacters) {
		let end = maxCharacters;
		const code = text.charCodeAt(end - 1);
		if (code >= 0xd800 && code <= 0xdbff) end--;
		text = text.slice(0, end);
		truncated = true;
	}
	return { text, truncated };
}
