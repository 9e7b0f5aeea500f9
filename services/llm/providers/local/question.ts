import type { Entity } from "../../../../shared/contracts/llm.ts";
import { findPatternEntities } from "./entity-patterns.ts";
import { tokenize } from "./segmentation.ts";
import { isContentWord, type Text } from "./text.ts";

/**
 * An extractive answer: the sentences that best match the question by BM25 over the question's
 * content words, quoted and labelled as such, never a generated reply. "When", "how much" and
 * similar questions prefer sentences holding a date or an amount.
 */

const K1 = 1.2;
const B = 0.75;
/** A second sentence joins the answer when it matches at least this well relative to the best. */
const SECOND_SENTENCE = 0.6;
const ENTITY_BOOST = 1.5;
const WANTED_ENTITY: { question: RegExp; type: Entity["type"] }[] = [
	{ question: /\b(?:when|what date|which date|what day|how long|wann|quand|cuándo)\b/iu, type: "date" },
	{ question: /\b(?:how much|what (?:price|cost|amount)|how many (?:dollars|euros)|wie viel|combien|cuánto)\b/iu, type: "amount" },
	{ question: /\b(?:e-?mail)\b/iu, type: "email" },
	{ question: /\b(?:phone|call|telephone|telefon)\b/iu, type: "phone" },
	{ question: /\b(?:url|website|link|web ?site)\b/iu, type: "url" },
];

export const NO_ANSWER = "No passage of the text matches the question (extractive answer: nothing was generated).";

export function answerQuestion(text: Text, question: string): string {
	const query = new Set(tokenize(question).filter(token => isContentWord(token.lower, text.language)).map(token => text.language.stem(token.lower)));
	if (query.size === 0 || text.sentences.length === 0) return NO_ANSWER;
	const n = text.sentences.length;
	const averageLength = text.terms.reduce((sum, terms) => sum + terms.length, 0) / n || 1;
	const documentFrequency = new Map<string, number>();
	for (const terms of text.terms) for (const term of new Set(terms)) if (query.has(term)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
	const wanted = WANTED_ENTITY.find(({ question: pattern }) => pattern.test(question))?.type;
	const scores = text.terms.map((terms, index) => {
		let score = 0;
		for (const term of query) {
			const frequency = terms.filter(t => t === term).length;
			if (frequency === 0) continue;
			const df = documentFrequency.get(term)!;
			const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
			score += (idf * frequency * (K1 + 1)) / (frequency + K1 * (1 - B + (B * terms.length) / averageLength));
		}
		if (score > 0 && wanted) {
			const sentence = text.sentences[index];
			if (findPatternEntities(text.input.slice(sentence.start, sentence.end), [wanted]).length > 0) score *= ENTITY_BOOST;
		}
		return score;
	});
	const ranked = scores.map((score, index) => ({ score, index })).filter(({ score }) => score > 0).sort((a, b) => b.score - a.score || a.index - b.index);
	if (ranked.length === 0) return NO_ANSWER;
	const chosen = ranked.slice(0, 2).filter(({ score }, i) => i === 0 || score >= SECOND_SENTENCE * ranked[0].score);
	const passage = chosen.sort((a, b) => a.index - b.index).map(({ index }) => text.sentences[index].text).join(" ");
	return `Best-matching passage (extractive, quoted from the text): "${passage}"`;
}
