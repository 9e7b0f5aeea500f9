import type { AnalysisData } from "../../../shared/contracts/llm.ts";
import type { Consensus, ProviderAnalysis } from "./types.ts";

const normalize = (text: string) => text.trim().toLowerCase().replace(/\s+/g, " ");

function words(text: string): Set<string> {
	return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** Jaccard similarity of two sets: 1 when equal, 0 when disjoint (and when both are empty). */
function jaccard(a: Set<string>, b: Set<string>): number {
	if (a.size === 0 && b.size === 0) return 0;
	let shared = 0;
	for (const item of a) if (b.has(item)) shared++;
	return shared / (a.size + b.size - shared);
}

/** The text most similar, on average, to the others: the one the providers collectively back. */
function mostSimilar(texts: { text: string; provider: string }[]): { text: string; provider: string; similarity: number } | undefined {
	if (texts.length === 0) return undefined;
	const sets = texts.map(t => words(t.text));
	const scored = texts.map((t, i) => {
		const others = sets.filter((_, j) => j !== i);
		const similarity = others.length === 0 ? 1 : others.reduce((sum, s) => sum + jaccard(sets[i], s), 0) / others.length;
		return { ...t, similarity };
	});
	return scored.reduce((best, s) => (s.similarity > best.similarity ? s : best));
}

/** Items named by more than half the providers, most-named first. */
function agreedItems(lists: string[][], quorum: number): string[] {
	const counts = new Map<string, { text: string; count: number; order: number }>();
	for (const list of lists) {
		for (const item of new Set(list.map(normalize).filter(Boolean))) {
			const seen = counts.get(item);
			if (seen) seen.count++;
			else counts.set(item, { text: list.find(i => normalize(i) === item)!.trim(), count: 1, order: counts.size });
		}
	}
	return [...counts.values()].filter(c => c.count >= quorum).sort((a, b) => b.count - a.count || a.order - b.order).map(c => c.text);
}

function meanPairwise(sets: Set<string>[]): number {
	let total = 0;
	let pairs = 0;
	for (let i = 0; i < sets.length; i++) {
		for (let j = i + 1; j < sets.length; j++) {
			total += jaccard(sets[i], sets[j]);
			pairs++;
		}
	}
	return pairs === 0 ? 1 : total / pairs;
}

/** Everything a provider said, as one bag of words and terms, to measure overall agreement. */
function fingerprint(data: AnalysisData): Set<string> {
	const terms = [...(data.keywords ?? []), ...(data.topics ?? []), ...(data.entities ?? []).map(e => e.text)].map(normalize);
	return new Set([...terms, ...words(data.summary ?? ""), ...words(data.answer ?? ""), data.sentiment ? `sentiment:${data.sentiment.label}` : ""].filter(Boolean));
}

/**
 * Where two or more successful providers agree: terms named by a majority, the majority
 * sentiment, the summary (and answer) closest to all the others. Undefined with fewer than two.
 */
export function buildConsensus(results: ProviderAnalysis[]): Consensus | undefined {
	const succeeded = results.filter((r): r is ProviderAnalysis & { output: AnalysisData } => !r.error && r.output !== null);
	if (succeeded.length < 2) return undefined;
	const quorum = Math.floor(succeeded.length / 2) + 1;
	const label = (r: ProviderAnalysis) => `${r.provider}:${r.model}`;
	const consensus: Consensus = { providers: succeeded.map(label), agreement: Number(meanPairwise(succeeded.map(r => fingerprint(r.output))).toFixed(3)) };

	const summary = mostSimilar(succeeded.filter(r => r.output.summary).map(r => ({ text: r.output.summary!, provider: label(r) })));
	if (summary) consensus.summary = { text: summary.text, provider: summary.provider };
	const answer = mostSimilar(succeeded.filter(r => r.output.answer).map(r => ({ text: r.output.answer!, provider: label(r) })));
	if (answer) consensus.answer = { text: answer.text, provider: answer.provider };

	const lists = (pick: (d: AnalysisData) => string[] | undefined) => succeeded.map(r => pick(r.output)).filter((l): l is string[] => l !== undefined);
	const keywordLists = lists(d => d.keywords);
	if (keywordLists.length > 0) consensus.keywords = agreedItems(keywordLists, quorum);
	const topicLists = lists(d => d.topics);
	if (topicLists.length > 0) consensus.topics = agreedItems(topicLists, quorum);

	const entityLists = succeeded.map(r => r.output.entities).filter(e => e !== undefined);
	if (entityLists.length > 0) {
		// Providers classify the same name differently; agree on the name, keep the most common type.
		const agreed = agreedItems(entityLists.map(list => list.map(e => e.text)), quorum);
		consensus.entities = agreed.map(text => {
			const types = entityLists.flat().filter(e => normalize(e.text) === normalize(text)).map(e => e.type);
			const type = types.sort((a, b) => types.filter(t => t === b).length - types.filter(t => t === a).length)[0];
			return { type, text };
		});
	}

	const sentiments = succeeded.map(r => r.output.sentiment).filter(s => s !== undefined);
	if (sentiments.length > 0) {
		const votes = new Map<string, number[]>();
		for (const s of sentiments) votes.set(s.label, [...(votes.get(s.label) ?? []), s.score]);
		const [winner, scores] = [...votes.entries()].sort((a, b) => b[1].length - a[1].length)[0];
		// A tie between different labels is no agreement: the providers' view is mixed.
		const tied = [...votes.values()].filter(v => v.length === scores.length).length > 1;
		const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
		consensus.sentiment = tied ? { label: "mixed", score: Number((sentiments.reduce((a, s) => a + s.score, 0) / sentiments.length).toFixed(3)), votes: 0 } : { label: winner, score: Number(mean.toFixed(3)), votes: scores.length };
	}

	const languages = succeeded.map(r => r.output.language).filter((l): l is string => !!l);
	const agreedLanguage = agreedItems(languages.map(l => [l]), quorum)[0];
	if (agreedLanguage) consensus.language = agreedLanguage;
	return consensus;
}
