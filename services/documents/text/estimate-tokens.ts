/** Scripts written without spaces, where a model spends about one token per character. */
const DENSE_SCRIPT = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/g;

/**
 * Tokens an LLM tokenizer will roughly count: about four characters per token for alphabetic
 * scripts, one per character for CJK. An estimate for sizing chunks, not for billing.
 */
export function estimateTokens(text: string): number {
	if (text.length === 0) return 0;
	const dense = text.match(DENSE_SCRIPT)?.length ?? 0;
	return Math.max(1, Math.ceil((text.length - dense) / 4 + dense));
}
