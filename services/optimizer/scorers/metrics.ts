/**
 * The metrics a study can optimise. Quality metrics are scored offline from each output; costUsd and
 * latencyMs come from the llm call records; judge asks a model (and costs money like any call).
 */
export const METRICS = {
	exactMatch: { direction: "maximize", needs: "reference" },
	regex: { direction: "maximize", needs: "pattern" },
	containsAll: { direction: "maximize", needs: "terms" },
	containsAny: { direction: "maximize", needs: "terms" },
	jsonValid: { direction: "maximize", needs: null },
	jsonSchema: { direction: "maximize", needs: "schema" },
	lengthWithin: { direction: "maximize", needs: "bounds" },
	rouge1: { direction: "maximize", needs: "reference" },
	rouge2: { direction: "maximize", needs: "reference" },
	rougeL: { direction: "maximize", needs: "reference" },
	bleu: { direction: "maximize", needs: "reference" },
	levenshtein: { direction: "maximize", needs: "reference" },
	judge: { direction: "maximize", needs: "judge" },
	costUsd: { direction: "minimize", needs: null },
	latencyMs: { direction: "minimize", needs: null },
} as const satisfies Record<string, { direction: Direction; needs: string | null }>;

export type MetricName = keyof typeof METRICS;
export type Direction = "maximize" | "minimize";
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetricName(name: unknown): name is MetricName {
	return typeof name === "string" && Object.hasOwn(METRICS, name);
}
