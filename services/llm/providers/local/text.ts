import { findPatternEntities, overlapsAny } from "./entity-patterns.ts";
import { languageTools, type LanguageTools } from "./language.ts";
import { NO_SPACE_SCRIPT, segment, type Sentence, type Token } from "./segmentation.ts";

/** The input once segmented, with its language: what every analysis reads. */
export interface Text {
	input: string;
	sentences: Sentence[];
	paragraphs: number;
	language: LanguageTools;
	/** Per sentence, the stems of its content words (no stop words, numbers, single letters or parts of links), in order. */
	terms: string[][];
	/** Whether a word is part of a URL or an e-mail address: counted as words, but no keyword or term. */
	inLink(token: Token): boolean;
}

/** Enough words to tell the language by its stop words. */
const LANGUAGE_SAMPLE_WORDS = 400;
const HAS_LETTER = /\p{L}/u;

export function isContentWord(lower: string, language: LanguageTools): boolean {
	if (!HAS_LETTER.test(lower) || language.isStopword(lower)) return false;
	return lower.length > 1 || NO_SPACE_SCRIPT.test(lower);
}

export async function readText(input: string): Promise<Text> {
	const { sentences, paragraphs } = segment(input);
	const sample: string[] = [];
	for (const sentence of sentences) {
		if (sample.length >= LANGUAGE_SAMPLE_WORDS) break;
		for (const token of sentence.tokens) sample.push(token.lower);
	}
	const language = await languageTools(input, sample);
	const links = findPatternEntities(input, ["email", "url"]);
	const inLink = (token: Token) => links.length > 0 && overlapsAny(links, token.start, token.end);
	const terms = sentences.map(sentence =>
		sentence.tokens.filter(token => isContentWord(token.lower, language) && !inLink(token)).map(token => language.stem(token.lower))
	);
	return { input, sentences, paragraphs, language, terms, inLink };
}
