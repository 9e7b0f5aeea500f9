import type { PlatformConfig } from "../../shared/config.ts";
import type { ExtractionPoolOptions } from "./extraction/extraction-pool.ts";
import type { ExtractionLimits } from "./extraction/extraction.worker.ts";
import type { StagingStaleness } from "./storage/blob-store.ts";

export interface DocumentLimits {
	maxUploadBytes: number;
	extraction: ExtractionLimits;
	pool: ExtractionPoolOptions;
	/** Staged uploads no live upload owns are removed at start and every `sweepEveryMs`. */
	staging: StagingStaleness & { sweepEveryMs: number };
}

/**
 * Every bound of the documents service, from the two configured figures (MAX_UPLOAD_BYTES,
 * MEMORY_BUDGET_MB). At the default 512 MB: one parsing thread with a 128 MB heap, 2 minutes per
 * document, text kept up to about a million characters (some 250,000 tokens, beyond any model's
 * context), which keeps every cached text response to a few MB.
 */
export function documentLimits(config: PlatformConfig): DocumentLimits {
	const budget = config.memoryBudgetMb;
	return {
		maxUploadBytes: config.maxUploadBytes,
		extraction: {
			maxCharacters: budget * 2048,
			maxPdfPages: 2_000,
			zip: { maxEntries: 5_000, maxUncompressedBytes: 256 * 1024 * 1024, maxRatio: 100 },
			chunks: { maxTokens: 512, overlapTokens: 64 },
		},
		pool: {
			threads: budget >= 1024 ? 2 : 1,
			heapMb: Math.max(64, Math.min(512, Math.floor(budget / 4))),
			timeLimitMs: 120_000,
			idleTimeoutMs: 30_000,
		},
		staging: {
			// A live upload writes at least once per idle timeout (the gateway cuts off a silent one); twice that is a margin.
			unwrittenForMs: 2 * config.uploadIdleTimeoutMs,
			// Ten times the gateway's 60 s call timeout for an upload, which no upload outlives.
			olderThanMs: 10 * 60_000,
			sweepEveryMs: config.uploadIdleTimeoutMs,
		},
	};
}
