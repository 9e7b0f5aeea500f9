import type { AnalysisData, Entity } from "../../../shared/contracts/llm.ts";
import type { Batch } from "./batches.ts";

/** One map call's answer, with the batch it covered. */
export interface BatchAnalysis {
	batch: Batch;
	data: AnalysisData;
}

const normalize = (text: string) => text.trim().toLowerCase().replace(/\s+/g, " ");

/**
 * Terms ranked by how many batches name them (ties: first seen), as many as the longest batch
 * list had, so the `keywords` knob of a provider still sets the length.
 */
function rankTerms(lists: string[][]): string[] {
	const terms = new Map<string, { text: string; count: number; order: number }>();
	for (const list of lists) {
		for (const term of new Set(list.map(t => t.trim()).filter(Boolean))) {
			const key = normalize(term);
			const seen = terms.get(key);
			if (seen) seen.count++;
			else terms.set(key, { text: term, count: 1, order: terms.size });
		}
	}
	const limit = Math.max(0, ...lists.map(l => l.length));
	return [...terms.values()].sort((a, b) => b.count - a.count || a.order - b.order).slice(0, limit).map(t => t.text);
}

function uniqueInOrder(items: string[], limit: number): string[] {
	const seen = new Set<string>();
	const kept: string[] = [];
	for (const item of items) {
		const key = normalize(item);
		if (!key || seen.has(key)) continue;
		seen.add(key);
		kept.push(item.trim());
	}
	return kept.slice(0, limit);
}

/** Entities of every batch, once each, with offsets moved from the batch into the whole document. */
function mergeEntities(parts: BatchAnalysis[]): Entity[] {
	const seen = new Set<string>();
	const merged: Entity[] = [];
	for (const { batch, data } of parts) {
		for (const entity of data.entities ?? []) {
			const key = `${entity.type}:${normalize(entity.text)}`;
			if (seen.has(key)) continue;
			seen.add(key);
			merged.push(entity.offset === undefined ? { ...entity } : { ...entity, offset: entity.offset + batch.start });
		}
	}
	return merged;
}

/** Each batch weighs as much as its share of the document. */
function weighted<T>(parts: BatchAnalysis[], pick: (data: AnalysisData) => T | undefined): { value: T; weight: number }[] {
	return parts.flatMap(({ batch, data }) => {
		const value = pick(data);
		return value === undefined ? [] : [{ value, weight: Math.max(1, batch.tokens) }];
	});
}

function weightedMean(values: { value: number; weight: number }[]): number {
	const total = values.reduce((sum, v) => sum + v.weight, 0);
	return values.reduce((sum, v) => sum + v.value * v.weight, 0) / total;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/** The label carrying most weight; a document strongly positive in places and negative in others is "mixed". */
function mergeSentiment(parts: BatchAnalysis[]): AnalysisData["sentiment"] {
	const votes = weighted(parts, d => d.sentiment);
	if (votes.length === 0) return undefined;
	const total = votes.reduce((sum, v) => sum + v.weight, 0);
	const share = (label: string) => votes.filter(v => v.value.label === label).reduce((sum, v) => sum + v.weight, 0) / total;
	const score = round(weightedMean(votes.map(v => ({ value: v.value.score, weight: v.weight }))));
	if (share("positive") >= 0.25 && share("negative") >= 0.25) return { label: "mixed", score };
	const labels = ["positive", "negative", "neutral", "mixed"] as const;
	const label = labels.reduce((best, l) => (share(l) > share(best) ? l : best), labels[0]);
	return { label, score };
}

function majority(values: { value: string; weight: number }[]): string | undefined {
	const totals = new Map<string, number>();
	for (const { value, weight } of values) totals.set(value, (totals.get(value) ?? 0) + weight);
	return [...totals.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * The reduce step that needs no LLM: lists merged and ranked, entities de-duplicated, sentiment,
 * readability and language weighted by batch size, statistics summed. Summary and answer are only
 * copied when there was one batch; several need a reduce call (see pipeline.ts).
 */
export function combineBatches(parts: BatchAnalysis[]): AnalysisData {
	const combined: AnalysisData = {};
	const has = (field: keyof AnalysisData) => parts.some(p => p.data[field] !== undefined);
	if (parts.length === 1) {
		if (has("summary")) combined.summary = parts[0].data.summary;
		if (has("answer")) combined.answer = parts[0].data.answer;
	}
	if (has("key_points")) combined.key_points = uniqueInOrder(parts.flatMap(p => p.data.key_points ?? []), Math.max(12, ...parts.map(p => p.data.key_points?.length ?? 0)));
	if (has("keywords")) combined.keywords = rankTerms(parts.map(p => p.data.keywords ?? []));
	if (has("topics")) combined.topics = rankTerms(parts.map(p => p.data.topics ?? []));
	if (has("entities")) combined.entities = mergeEntities(parts);
	if (has("sentiment")) combined.sentiment = mergeSentiment(parts);
	if (has("language")) combined.language = majority(weighted(parts, d => d.language));
	if (has("readability")) {
		const readability = weighted(parts, d => d.readability);
		combined.readability = {
			fleschReadingEase: round(weightedMean(readability.map(r => ({ value: r.value.fleschReadingEase, weight: r.weight }))), 1),
			gradeLevel: round(weightedMean(readability.map(r => ({ value: r.value.gradeLevel, weight: r.weight }))), 1),
		};
	}
	if (has("statistics")) {
		const sum = (field: "characters" | "words" | "sentences" | "paragraphs") => parts.reduce((total, p) => total + (p.data.statistics?.[field] ?? 0), 0);
		combined.statistics = { characters: sum("characters"), words: sum("words"), sentences: sum("sentences"), paragraphs: sum("paragraphs") };
	}
	return combined;
}
