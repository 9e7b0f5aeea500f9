import { words } from "./text-metrics.ts";

type JsRouge = typeof import("js-rouge");
let library: Promise<JsRouge> | undefined;

/** js-rouge is loaded on first use: most processes never score a summary. */
function rouge(): Promise<JsRouge> {
	library ??= import("js-rouge");
	return library;
}

export type RougeVariant = "rouge1" | "rouge2" | "rougeL";

/**
 * ROUGE F1 (beta 1) on lower-cased words, punctuation dropped, as Google's rouge-score counts them.
 * rougeL is the summary-level LCS over sentences (js-rouge's `l`, a.k.a. ROUGE-Lsum). js-rouge
 * refuses empty texts; an empty output scores 0 (1 when the reference is empty too).
 */
export async function rougeScore(variant: RougeVariant, output: string, reference: string): Promise<number> {
	const produced = words(output);
	const expected = words(reference);
	if (produced.length === 0 || expected.length === 0) return produced.length === expected.length ? 1 : 0;
	const { n, l } = await rouge();
	const options = { tokenizer: words };
	if (variant === "rougeL") return l(output, reference, options);
	return n(output, reference, { ...options, n: variant === "rouge1" ? 1 : 2 });
}
