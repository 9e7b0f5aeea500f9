import { expect } from "chai";
import { loadConfig, type PlatformConfig } from "../../shared/config.ts";
import { costUsd, modelIdCandidates, priceOf } from "../../services/llm/pricing.ts";
import { discoverProviders } from "../../services/llm/providers/registry.ts";
import type { Provider } from "../../services/llm/providers/provider.ts";

const KEYS = { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k", GEMINI_API_KEY: "k", OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:1/v1", OPENAI_COMPATIBLE_MODELS: "llama3.2:1b,qwen2" };

describe("llm pricing: the maintained catalog (@pydantic/genai-prices), LLM_PRICING over it", () => {
	let providers: Map<string, Provider>;
	let config: PlatformConfig;
	const provider = (name: string) => providers.get(name)!;
	const refusal = (name: string, model: string) => {
		try {
			priceOf(provider(name), model, config);
		} catch (err) {
			return err as { code: number; type: string; message: string };
		}
		throw new Error(`expected ${name}:${model} to be refused`);
	};

	before(async () => {
		providers = new Map((await discoverProviders()).map(p => [p.name, p]));
		config = loadConfig({ ...KEYS, LLM_PRICING: JSON.stringify({ "openai:gpt-4o": { input: 1, output: 2 }, "openai-compatible:qwen2": { input: 0.5, output: 0.5 } }) });
	});

	it("prices listed models from the catalog", () => {
		expect(priceOf(provider("openai"), "gpt-4o-mini", config)).to.deep.equal({ input: 0.15, output: 0.6 });
		expect(priceOf(provider("anthropic"), "claude-3-5-haiku-latest", config)).to.deep.equal({ input: 0.8, output: 4 });
		expect(priceOf(provider("gemini"), "gemini-2.0-flash", config)).to.deep.equal({ input: 0.1, output: 0.4 });
	});

	it("prices dated ids and `models/` prefixes as the model they name, never as a cheaper default", () => {
		const plain = loadConfig(KEYS);
		// Before: $0.15/$0.60 (the provider's default model) for each of these.
		expect(priceOf(provider("openai"), "gpt-4o-2024-08-06", plain)).to.deep.equal({ input: 2.5, output: 10 });
		expect(priceOf(provider("openai"), "o1-pro", plain)).to.deep.equal({ input: 150, output: 600 });
		expect(priceOf(provider("openai"), "o1-pro-2099-01-01", plain)).to.deep.equal({ input: 150, output: 600 });
		expect(priceOf(provider("anthropic"), "claude-sonnet-4-20250514", plain)).to.include({ input: 3, output: 15 });
		expect(priceOf(provider("gemini"), "models/gemini-2.5-pro", plain)).to.deep.equal({ input: 1.25, output: 10, above: { inputTokens: 200_000, input: 2.5, output: 15 } });
		expect(modelIdCandidates("models/gemini-2.5-pro-20250101")).to.deep.equal(["models/gemini-2.5-pro-20250101", "gemini-2.5-pro-20250101", "gemini-2.5-pro"]);
	});

	it("refuses a paid model without a known price with 422 naming LLM_PRICING", () => {
		for (const [name, model] of [["openai", "gpt-99-unknown"], ["anthropic", "claude-imaginary"], ["gemini", "models/gemini-9"]]) {
			const err = refusal(name, model);
			expect(err.code).to.equal(422);
			expect(err.message).to.contain("LLM_PRICING").and.to.contain(`${name}:${model}`);
		}
	});

	it("LLM_PRICING overrides the catalog and prices what it lacks; self-hosted and offline providers are free unless it prices them", () => {
		expect(priceOf(provider("openai"), "gpt-4o", config)).to.deep.equal({ input: 1, output: 2 });
		expect(priceOf(provider("openai"), "gpt-4o-2024-08-06", config)).to.deep.equal({ input: 1, output: 2 });
		const custom = loadConfig({ ...KEYS, LLM_PRICING: JSON.stringify({ "openai:my-finetune": { input: 3, output: 12 } }) });
		expect(priceOf(provider("openai"), "my-finetune", custom)).to.deep.equal({ input: 3, output: 12 });
		expect(priceOf(provider("openai-compatible"), "llama3.2:1b", config)).to.deep.equal({ input: 0, output: 0 });
		expect(priceOf(provider("openai-compatible"), "qwen2", config)).to.deep.equal({ input: 0.5, output: 0.5 });
		expect(priceOf(provider("local"), "extractive", config)).to.deep.equal({ input: 0, output: 0 });
	});

	it("costs a call by its usage, at the long-context tier once its input passes the tier's start", () => {
		expect(costUsd({ input: 0.15, output: 0.6 }, { inputTokens: 1_000_000, outputTokens: 500_000 })).to.be.closeTo(0.45, 1e-12);
		const pro = priceOf(provider("gemini"), "gemini-2.5-pro", config);
		expect(costUsd(pro, { inputTokens: 100_000, outputTokens: 1_000 })).to.be.closeTo(0.125 + 0.01, 1e-12);
		expect(costUsd(pro, { inputTokens: 300_000, outputTokens: 1_000 })).to.be.closeTo(0.75 + 0.015, 1e-12);
	});
});
