import type { Text } from "./text.ts";

/**
 * Sentence importance by TextRank: sentences are nodes, TF-IDF cosine similarity the edge weights,
 * PageRank the centrality. Central sentences share vocabulary with many others. Position (a lead
 * sentence) and length (headings and fragments say little) adjust the score.
 *
 * The graph is quadratic in its nodes, so a long text first keeps the MAX_GRAPH_SENTENCES
 * sentences closest to the whole text's term profile (a linear pass); the rest are never chosen.
 */

const MAX_GRAPH_SENTENCES = 300;
const DAMPING = 0.85;
const MAX_ITERATIONS = 100;
const CONVERGED = 1e-7;
/** A sentence this similar to one already chosen repeats it. */
const REDUNDANT_SIMILARITY = 0.5;
/** How much more the opening sentence counts than the last; sentences between fade quadratically. */
const LEAD_WEIGHT = 0.5;
/** A sentence with fewer content words than this is down-weighted. */
const FULL_CONTENT_TERMS = 8;

type Vector = Map<string, number>;

export interface Ranking {
	/** Sentence indices, most important first; only sentences that were ranked. */
	order: number[];
	similarity(a: number, b: number): number;
}

function termCounts(terms: string[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
	return counts;
}

/** Keeps the sentences whose terms are most typical of the whole text, plus the opening ones. */
function candidates(text: Text): number[] {
	const all = text.sentences.map(sentence => sentence.index);
	if (all.length <= MAX_GRAPH_SENTENCES) return all;
	const frequency = termCounts(text.terms.flat());
	const typicality = all.map(index => {
		const unique = new Set(text.terms[index]);
		let sum = 0;
		for (const term of unique) sum += Math.log(1 + (frequency.get(term) ?? 0));
		return sum / Math.sqrt(unique.size + 1);
	});
	const opening = all.slice(0, 5);
	const rest = all.slice(5).sort((a, b) => typicality[b] - typicality[a] || a - b);
	return [...opening, ...rest.slice(0, MAX_GRAPH_SENTENCES - opening.length)].sort((a, b) => a - b);
}

/** Unit-length TF-IDF vectors of the nodes, in node order. */
function tfidfVectors(text: Text, nodes: number[]): Vector[] {
	const documentFrequency = new Map<string, number>();
	for (const index of nodes) for (const term of new Set(text.terms[index])) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
	return nodes.map(index => {
		const vector: Vector = new Map();
		let squares = 0;
		for (const [term, count] of termCounts(text.terms[index])) {
			const weight = count * (1 + Math.log(nodes.length / documentFrequency.get(term)!));
			vector.set(term, weight);
			squares += weight * weight;
		}
		const norm = Math.sqrt(squares) || 1;
		for (const [term, weight] of vector) vector.set(term, weight / norm);
		return vector;
	});
}

/** Cosine similarity of every pair of nodes (a dense n x n matrix), summed term by term through an inverted index. */
function similarities(vectors: Vector[]): Float64Array {
	const n = vectors.length;
	const postings = new Map<string, number[]>();
	vectors.forEach((vector, node) => {
		for (const term of vector.keys()) {
			const holders = postings.get(term);
			if (holders) holders.push(node);
			else postings.set(term, [node]);
		}
	});
	const matrix = new Float64Array(n * n);
	for (const [term, holders] of postings) {
		for (let i = 0; i < holders.length; i++) {
			const a = holders[i];
			const weightA = vectors[a].get(term)!;
			for (let j = i + 1; j < holders.length; j++) {
				const b = holders[j];
				const product = weightA * vectors[b].get(term)!;
				matrix[a * n + b] += product;
				matrix[b * n + a] += product;
			}
		}
	}
	return matrix;
}

function pageRank(matrix: Float64Array, n: number): Float64Array {
	const outWeight = new Float64Array(n);
	for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) outWeight[a] += matrix[a * n + b];
	let rank = new Float64Array(n).fill(1 / n);
	for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
		// Rank held by sentences without neighbours is spread evenly, so the total stays 1.
		let dangling = 0;
		const share = new Float64Array(n);
		for (let a = 0; a < n; a++) {
			if (outWeight[a] === 0) dangling += rank[a];
			else share[a] = rank[a] / outWeight[a];
		}
		const next = new Float64Array(n);
		let change = 0;
		for (let b = 0; b < n; b++) {
			let incoming = 0;
			for (let a = 0; a < n; a++) incoming += share[a] * matrix[a * n + b];
			next[b] = (1 - DAMPING) / n + DAMPING * (incoming + dangling / n);
			change += Math.abs(next[b] - rank[b]);
		}
		rank = next;
		if (change < CONVERGED) break;
	}
	return rank;
}

/** Lead sentences of news and reports carry the gist; a heading or a fragment rarely does. */
function prior(text: Text, index: number): number {
	const sentence = text.sentences[index];
	if (sentence.heading) return 0.3;
	const position = 1 + LEAD_WEIGHT * (1 - index / text.sentences.length) ** 2;
	const words = sentence.tokens.length;
	const length = words < 6 ? 0.5 : words > 40 ? 40 / words : 1;
	// Cosine similarity favours short sentences (few terms, each weighing much); this evens it out.
	const content = Math.min(1, Math.sqrt(text.terms[index].length / FULL_CONTENT_TERMS));
	return position * length * content;
}

export function rankSentences(text: Text): Ranking {
	const nodes = candidates(text);
	const n = nodes.length;
	const matrix = similarities(tfidfVectors(text, nodes));
	const rank = pageRank(matrix, n);
	// With few shared words (a short text, a language of compounds) centrality is noise: trust it as much as the graph is connected.
	let edges = 0;
	for (let i = 0; i < matrix.length; i++) if (matrix[i] > 0) edges++;
	const connectivity = Math.min(1, edges / 2 / n);
	const nodeOf = new Map(nodes.map((index, node) => [index, node]));
	const score = new Map(nodes.map((index, node) => [index, (connectivity * rank[node] * n + 1 - connectivity) * prior(text, index)]));
	const order = [...nodes].sort((a, b) => score.get(b)! - score.get(a)! || a - b);
	return {
		order,
		similarity(a, b) {
			const [nodeA, nodeB] = [nodeOf.get(a), nodeOf.get(b)];
			return nodeA === undefined || nodeB === undefined ? 0 : matrix[nodeA * n + nodeB];
		},
	};
}

/** The `count` most important sentences that do not repeat each other, best first. */
export function topSentences(ranking: Ranking, count: number): number[] {
	const chosen: number[] = [];
	for (const index of ranking.order) {
		if (chosen.length >= count) break;
		if (chosen.some(other => ranking.similarity(index, other) > REDUNDANT_SIMILARITY)) continue;
		chosen.push(index);
	}
	return chosen;
}
