import type { AnalysisData, AnalysisTask } from "../../../../shared/contracts/llm.ts";
import { extractEntities } from "./entities.ts";
import { extractKeywords } from "./keywords.ts";
import { answerQuestion } from "./question.ts";
import { measureReadability } from "./readability.ts";
import { rankSentences, topSentences, type Ranking } from "./sentence-ranking.ts";
import { analyzeSentiment } from "./sentiment.ts";
import { readText, type Text } from "./text.ts";
import { findTopics } from "./topics.ts";

/** The analyzer's own knobs, already bounded. */
export interface Knobs {
	sentences: number;
	keywords: number;
	/** Key points are a longer list than the summary unless `sentences` is set. */
	keyPoints: number;
}

/**
 * Runs the requested analyses on one text. Every step is deterministic (ties break by position),
 * so the same input and knobs give the same answer. Between steps the event loop gets a turn and
 * an aborted request stops.
 */
export async function analyze(task: AnalysisTask, knobs: Knobs, signal?: AbortSignal): Promise<AnalysisData> {
	const text = await readText(task.input);
	const wanted = new Set(task.types);
	const data: AnalysisData = {};
	let ranking: Ranking | undefined;
	const ranked = () => (ranking ??= rankSentences(text));
	let keywords: string[] | undefined;
	const keywordList = () => (keywords ??= extractKeywords(text, knobs.keywords));
	const step = async () => {
		await new Promise(resolve => setImmediate(resolve));
		signal?.throwIfAborted();
	};

	await step();
	if (wanted.has("summary")) data.summary = sentencesInTextOrder(text, topSentences(ranked(), knobs.sentences));
	if (wanted.has("key_points")) data.key_points = topSentences(ranked(), knobs.keyPoints).map(index => text.sentences[index].text);
	await step();
	if (wanted.has("keywords")) data.keywords = keywordList();
	if (wanted.has("topics")) data.topics = findTopics(text, keywordList);
	await step();
	if (wanted.has("entities")) data.entities = await extractEntities(text);
	if (wanted.has("sentiment")) data.sentiment = await analyzeSentiment(text);
	if (wanted.has("language")) data.language = text.language.code;
	if (wanted.has("readability")) data.readability = await measureReadability(text);
	if (wanted.has("statistics")) data.statistics = statistics(text);
	if (wanted.has("question")) data.answer = answerQuestion(text, task.question ?? "");
	return data;
}

function sentencesInTextOrder(text: Text, indices: number[]): string {
	return [...indices]
		.sort((a, b) => a - b)
		.map(index => text.sentences[index].text)
		.join(" ");
}

function statistics(text: Text): NonNullable<AnalysisData["statistics"]> {
	const surrogatePairs = text.input.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0;
	return {
		// Code points: an emoji is one character, as a reader counts it.
		characters: text.input.length - surrogatePairs,
		words: text.sentences.reduce((sum, sentence) => sum + sentence.tokens.length, 0),
		sentences: text.sentences.length,
		paragraphs: text.paragraphs,
	};
}
