import type { AnalysisData } from "../../../../shared/contracts/llm.ts";
import type { Text } from "./text.ts";

/**
 * Flesch reading ease (higher is easier; 60-70 is plain English) and the Flesch-Kincaid grade
 * level. German, French, Spanish, Italian and Dutch texts use their languages' adaptations of the
 * reading-ease formula, whose constants fit those languages' longer words. Syllables are counted by
 * the `syllable` package for English, by vowel groups elsewhere. A text without words scores 0.
 */

type Readability = NonNullable<AnalysisData["readability"]>;

/** Reading ease from average sentence length (words) and average syllables per word. */
const READING_EASE: Record<string, (wordsPerSentence: number, syllablesPerWord: number) => number> = {
	en: (asl, asw) => 206.835 - 1.015 * asl - 84.6 * asw,
	de: (asl, asw) => 180 - asl - 58.5 * asw, // Amstad
	fr: (asl, asw) => 207 - 1.015 * asl - 73.6 * asw, // Kandel and Moles
	es: (asl, asw) => 206.84 - 1.02 * asl - 60 * asw, // Fernández Huerta
	it: (asl, asw) => 206 - asl - 65 * asw, // Vacca
	nl: (asl, asw) => 206.835 - 0.93 * asl - 77 * asw, // Douma
};
const VOWEL_GROUP = /[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœаеёиоуыэюяαεηιουω]+/giu;
const HAS_LETTER = /\p{L}/u;

let englishSyllables: Promise<(word: string) => number> | undefined;

function vowelGroups(word: string): number {
	return Math.max(1, word.match(VOWEL_GROUP)?.length ?? 0);
}

const round1 = (value: number) => Math.round(value * 10) / 10;

export async function measureReadability(text: Text): Promise<Readability> {
	const words = text.sentences.flatMap(sentence => sentence.tokens.filter(token => HAS_LETTER.test(token.text)));
	const sentences = text.sentences.filter(sentence => sentence.tokens.some(token => HAS_LETTER.test(token.text))).length;
	if (words.length === 0) return { fleschReadingEase: 0, gradeLevel: 0 };
	let count = vowelGroups;
	if (text.language.code === "en") {
		englishSyllables ??= import("syllable").then(module => module.syllable);
		const syllable = await englishSyllables;
		count = word => Math.max(1, syllable(word));
	}
	// A text repeats its words; counting each distinct word once keeps long texts fast.
	const counted = new Map<string, number>();
	let syllables = 0;
	for (const word of words) {
		let value = counted.get(word.lower);
		if (value === undefined) {
			value = count(word.lower);
			counted.set(word.lower, value);
		}
		syllables += value;
	}
	const asl = words.length / sentences;
	const asw = syllables / words.length;
	const ease = (READING_EASE[text.language.code] ?? READING_EASE.en)(asl, asw);
	return { fleschReadingEase: round1(ease), gradeLevel: round1(Math.max(0, 0.39 * asl + 11.8 * asw - 15.59)) };
}
