import { expect } from "chai";
import { loadConfig } from "../../shared/config.ts";

const MB = 1024 * 1024;

describe("config: extraction and offline-analyzer limits (EXTRACTION_*, ANALYZER_*)", () => {
	it("sizes every limit from MEMORY_BUDGET_MB", () => {
		const small = loadConfig({});
		expect(small.extraction).to.deep.equal({ processes: 1, memoryMb: 192, maxDecodedBytes: 48 * MB, maxPages: 2_000, timeoutMs: 120_000 });
		expect(small.analyzer).to.deep.equal({ threads: 1, heapMb: 128, maxInputChars: 512 * 2048 });
		const large = loadConfig({ MEMORY_BUDGET_MB: "2048" });
		expect(large.extraction).to.include({ processes: 2, memoryMb: 768, maxDecodedBytes: 192 * MB });
		expect(large.analyzer).to.include({ threads: 2, heapMb: 512, maxInputChars: 2048 * 2048 });
		const tiny = loadConfig({ MEMORY_BUDGET_MB: "128" });
		expect(tiny.extraction).to.include({ memoryMb: 128, maxDecodedBytes: 16 * MB });
	});

	it("takes each setting, and refuses a value out of range naming the variable", () => {
		const config = loadConfig({ EXTRACTION_MAX_DECODED_MB: "8", EXTRACTION_MEMORY_MB: "256", EXTRACTION_MAX_PAGES: "50", EXTRACTION_TIMEOUT_MS: "5000", EXTRACTION_PROCESSES: "3", ANALYZER_THREADS: "2", ANALYZER_HEAP_MB: "96", ANALYZER_MAX_INPUT_CHARS: "50000" });
		expect(config.extraction).to.deep.equal({ processes: 3, memoryMb: 256, maxDecodedBytes: 8 * MB, maxPages: 50, timeoutMs: 5_000 });
		expect(config.analyzer).to.deep.equal({ threads: 2, heapMb: 96, maxInputChars: 50_000 });
		expect(() => loadConfig({ EXTRACTION_MEMORY_MB: "32" })).to.throw(/^EXTRACTION_MEMORY_MB: must be a whole number from 96/);
		expect(() => loadConfig({ EXTRACTION_MAX_DECODED_MB: "lots" })).to.throw(/^EXTRACTION_MAX_DECODED_MB: /);
		expect(() => loadConfig({ ANALYZER_THREADS: "0" })).to.throw(/^ANALYZER_THREADS: /);
	});
});
