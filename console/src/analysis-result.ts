/** The structured part of one provider's answer, wherever the API put it. */
export interface AnalysisData {
	summary?: string;
	keywords?: string[];
	entities?: { type: string; text: string }[];
	sentiment?: { label: string; score?: number };
	topics?: string[];
	key_points?: string[];
}

export interface ProviderResult {
	provider: string;
	model: string;
	output?: unknown;
	data?: AnalysisData;
	usage?: { inputTokens: number; outputTokens: number };
	costUsd?: number;
	latencyMs?: number;
	cached?: boolean;
	error?: { type?: string; message?: string } | string | null;
}

/**
 * A result's analysis: `data` when the service parsed it, else `output` when it is an object or a
 * JSON text, else the text itself as the summary (a plain free-form answer).
 */
export function analysisData(result: ProviderResult): AnalysisData {
	if (result.data && typeof result.data === "object") return result.data;
	const output = result.output;
	if (output && typeof output === "object") return output as AnalysisData;
	if (typeof output === "string" && output.trim()) {
		try {
			const parsed = JSON.parse(output) as unknown;
			if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as AnalysisData;
		} catch {
			// not JSON: free text
		}
		return { summary: output };
	}
	return {};
}

export function errorMessage(error: ProviderResult["error"]): string | undefined {
	if (!error) return undefined;
	return typeof error === "string" ? error : (error.message ?? error.type ?? "failed");
}
