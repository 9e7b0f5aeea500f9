import { expect } from "chai";
import { loadConfig } from "../../shared/config.ts";
import { localProvider } from "../../services/llm/providers/local/index.ts";
import { ProviderError } from "../../services/llm/providers/provider.ts";
import { longEnglishText } from "../helpers/hostile-documents.ts";

function analyse(input: string, env: Record<string, string> = {}) {
	return localProvider.complete({ model: "extractive", messages: [], params: {}, task: { types: ["summary", "keywords", "statistics"], input } }, loadConfig(env));
}

describe("local analyzer: bounded, in worker threads", function () {
	this.timeout(120_000);

	// The pool is made with the settings of its first task: each case starts a fresh one.
	beforeEach(() => localProvider.close!());
	after(() => localProvider.close!());

	it("refuses a text over ANALYZER_MAX_INPUT_CHARS before any analysis, as the caller's error", async () => {
		const error = await analyse("Word. ".repeat(200), { ANALYZER_MAX_INPUT_CHARS: "1000" }).catch(err => err);
		expect(error).to.be.instanceOf(ProviderError);
		expect(error).to.include({ kind: "client_error", retryable: false });
		expect(error.message).to.equal("the text has 1200 characters; the offline analyzer takes at most 1000 (ANALYZER_MAX_INPUT_CHARS)");
		expect((await analyse("Word. ".repeat(100), { ANALYZER_MAX_INPUT_CHARS: "1000" })).data?.statistics?.sentences).to.equal(100);
	});

	it("ends a task that outgrows its thread's heap (ANALYZER_HEAP_MB) with the caller's error, and the next one runs", async () => {
		// Three million characters need far more than 32 MB however the collector runs (one million
		// sometimes fitted, and the case then passed by luck or failed).
		const env = { ANALYZER_HEAP_MB: "32", ANALYZER_MAX_INPUT_CHARS: "4000000" };
		const error = await analyse(longEnglishText(3_000_000, 7), env).catch(err => err);
		expect(error).to.be.instanceOf(ProviderError);
		expect(error).to.include({ kind: "client_error" });
		expect(error.message).to.equal("the text needs more than 32 MB to analyse offline; send a shorter text");
		expect((await analyse("A short text. It still gets analysed.", env)).data?.statistics?.sentences).to.equal(2);
	});
});
