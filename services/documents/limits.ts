import type { PlatformConfig } from "../../shared/config.ts";
import type { ExtractionSandboxOptions } from "./extraction/extraction-sandbox.ts";
import type { ExtractionLimits } from "./extraction/extract-document.ts";

export interface DocumentLimits {
	maxUploadBytes: number;
	extraction: ExtractionLimits;
	sandbox: ExtractionSandboxOptions;
}

/**
 * Every bound of the documents service, from the configured figures (MAX_UPLOAD_BYTES,
 * MEMORY_BUDGET_MB and the EXTRACTION_* settings sized from it). At the default 512 MB: one
 * extraction process whose whole memory stays under 192 MB, 48 MB of decoded content per
 * document, 2,000 PDF pages, 2 minutes per document, text kept up to about a million characters
 * (some 250,000 tokens, beyond any model's context), which keeps every cached text response to a
 * few MB.
 */
export function documentLimits(config: PlatformConfig): DocumentLimits {
	const budget = config.memoryBudgetMb;
	const { extraction } = config;
	return {
		maxUploadBytes: config.maxUploadBytes,
		extraction: {
			maxCharacters: budget * 2048,
			maxPdfPages: extraction.maxPages,
			maxDecodedBytes: extraction.maxDecodedBytes,
			zip: { maxEntries: 5_000, maxRatio: 100 },
			chunks: { maxTokens: 512, overlapTokens: 64 },
		},
		sandbox: {
			processes: extraction.processes,
			memoryMb: extraction.memoryMb,
			timeLimitMs: extraction.timeoutMs,
			idleTimeoutMs: 30_000,
		},
	};
}
