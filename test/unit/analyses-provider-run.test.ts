import { expect } from "chai";
import type { CompleteParams, CompleteResult } from "../../shared/contracts/llm.ts";
import { JobAbortedError } from "../../shared/jobs/index.ts";
import { runProvider, type ProviderRunInput } from "../../services/documents/analyses/provider-run.ts";

const batch = { index: 0, start: 0, end: 40, text: "Solar output grew by twelve percent.", tokens: 10 };

function input(complete: (params: CompleteParams) => Promise<CompleteResult>, signal: AbortSignal): ProviderRunInput {
	return { provider: "openai", tasks: ["summary"], params: {}, batches: [batch], complete, progress: { expect() {}, step() {} }, signal };
}

describe("one provider's run of an analysis", () => {
	it("gives up at once when the analysis is cancelled, without waiting for the provider call in flight", async () => {
		const controller = new AbortController();
		let called = false;
		// The call in flight answers only after a minute, as a slow provider would.
		const slowComplete = () => {
			called = true;
			return new Promise<CompleteResult>(() => {});
		};
		const run = runProvider(input(slowComplete, controller.signal));
		await new Promise(r => setTimeout(r, 20));
		expect(called).to.equal(true);
		controller.abort(new JobAbortedError("cancelled"));
		const outcome = await Promise.race([run.then(() => "finished", err => err), new Promise(r => setTimeout(() => r("still waiting"), 1_000))]);
		expect(outcome).to.be.instanceOf(JobAbortedError);
	});

	it("still records a provider's own failure as that provider's error, not the analysis's", async () => {
		const failing = async (): Promise<CompleteResult> => ({
			output: "",
			results: [{ provider: "openai", model: "gpt-4o-mini", output: "", usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, latencyMs: 1, cached: false, error: { type: "timeout", message: "openai timed out" } }],
			usage: { inputTokens: 0, outputTokens: 0 },
			costUsd: 0,
			latencyMs: 1,
			cached: false,
		});
		const analysis = await runProvider(input(failing, new AbortController().signal));
		expect(analysis.error).to.deep.equal({ type: "timeout", message: "openai timed out" });
		expect(analysis.output).to.equal(null);
	});
});
