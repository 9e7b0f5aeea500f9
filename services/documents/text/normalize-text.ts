/** Control characters other than tab and newline: never meaningful in extracted text, and PostgreSQL refuses NUL. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g;
/**
 * Spaces at a line's end. The look-behind lets a match start only where a run of spaces starts:
 * without it a run not at a line's end is rescanned from each of its characters (1 MB of spaces
 * followed by a letter: minutes of CPU).
 */
const TRAILING_SPACES = /(?<![ \t\u00a0])[ \t\u00a0]+$/gm;

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
		.replace(TRAILING_SPACES, "")
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
