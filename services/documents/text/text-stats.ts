import type { DocumentTextStats } from "../../../shared/contracts/documents.ts";

/** franc reads about 2,000 characters; three samples spread over the text represent it better than its start. */
const LANGUAGE_SAMPLE = 700;
/** Below this many characters franc's guesses are mostly noise. */
const LANGUAGE_MIN_LENGTH = 100;

function languageSample(text: string): string {
	if (text.length <= LANGUAGE_SAMPLE * 3) return text;
	const middle = Math.floor(text.length / 2 - LANGUAGE_SAMPLE / 2);
	return [text.slice(0, LANGUAGE_SAMPLE), text.slice(middle, middle + LANGUAGE_SAMPLE), text.slice(-LANGUAGE_SAMPLE)].join("\n");
}

function countCodePoints(text: string): number {
	let count = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code < 0xdc00 || code > 0xdfff) count++;
	}
	return count;
}

/** Words as Intl.Segmenter sees them, so languages written without spaces are counted too. */
function countWords(text: string): number {
	const segmenter = new Intl.Segmenter(undefined, { granularity: "word" });
	let words = 0;
	for (const segment of segmenter.segment(text)) if (segment.isWordLike) words++;
	return words;
}

export async function textStats(text: string, pages: number | null, truncated: boolean): Promise<DocumentTextStats> {
	const { franc } = await import("franc-min");
	const language = franc(languageSample(text), { minLength: LANGUAGE_MIN_LENGTH });
	return {
		pages,
		words: countWords(text),
		characters: countCodePoints(text),
		language: language === "und" ? null : language,
		truncated,
	};
}
