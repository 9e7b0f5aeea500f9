import type { DocumentText } from "../../../shared/contracts/documents.ts";

/** A run of consecutive chunks analysed in one LLM call. */
export interface Batch {
	index: number;
	/** Character offsets of the batch in the document's full text. */
	start: number;
	end: number;
	text: string;
	tokens: number;
}

/**
 * Most input one map call gets, whatever the model's context: smaller calls report progress,
 * run in parallel and keep each answer focused; the reduce step joins them.
 */
export const MAX_BATCH_TOKENS = 4_000;

/** Context windows (tokens) by provider, where the model name does not say otherwise. */
const CONTEXT_TOKENS: Record<string, number> = {
	openai: 128_000,
	anthropic: 200_000,
	gemini: 1_000_000,
	// Ollama and friends often run with a small context unless told otherwise.
	"openai-compatible": 8_192,
	local: 1_000_000,
};

/** Input tokens one map call of this provider may carry: half its context (the rest is prompt and answer), at most MAX_BATCH_TOKENS. */
export function batchBudget(provider: string): number {
	const name = provider.split(":")[0];
	return Math.min(MAX_BATCH_TOKENS, Math.floor((CONTEXT_TOKENS[name] ?? 8_192) / 2));
}

/**
 * Groups the document's chunks, in order, into batches of at most `budget` tokens. A chunk larger
 * than the budget gets a batch of its own: the budget is half the context, so it still fits.
 */
export function batchChunks(document: DocumentText, budget: number): Batch[] {
	const batches: Batch[] = [];
	let current: { start: number; end: number; tokens: number } | undefined;
	const flush = () => {
		if (!current) return;
		const text = document.text.slice(current.start, current.end);
		if (text.trim()) batches.push({ index: batches.length, ...current, text });
		current = undefined;
	};
	// A text without chunk boundaries is one chunk; about four characters make a token.
	const chunks = document.chunks.length > 0 ? document.chunks : [{ start: 0, end: document.text.length, tokenEstimate: Math.ceil(document.text.length / 4) }];
	for (const chunk of chunks) {
		if (current && current.tokens + chunk.tokenEstimate > budget) flush();
		if (!current) current = { start: chunk.start, end: chunk.end, tokens: 0 };
		current.end = Math.max(current.end, chunk.end);
		current.tokens += chunk.tokenEstimate;
	}
	flush();
	return batches;
}
