import { expect } from "chai";
import { loadConfig, ConfigError, type PlatformConfig } from "../../shared/config.ts";
import type { CompleteParams } from "../../shared/contracts/llm.ts";
import { resolvePlan, planHash, type Profile } from "../../services/llm/plan.ts";
import { discoverProviders } from "../../services/llm/providers/registry.ts";
import type { Provider } from "../../services/llm/providers/provider.ts";
import { mostAgreed } from "../../services/llm/strategies/consensus.ts";

const KEYS = { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k", GEMINI_API_KEY: "k", OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:1/v1", OPENAI_COMPATIBLE_MODELS: "llama3.2:1b,qwen2" };

describe("llm request planning", () => {
	let providers: Map<string, Provider>;
	let config: PlatformConfig;
	const plan = (request: CompleteParams, profile?: Profile, cfg = config) => resolvePlan(request, profile, { providers, config: cfg });
	const invalid = (request: CompleteParams) => {
		try {
			plan(request);
		} catch (err) {
			return err as { code: number; message: string };
		}
		throw new Error("expected a validation error");
	};

	before(async () => {
		providers = new Map((await discoverProviders()).map(p => [p.name, p]));
		config = loadConfig(KEYS);
	});

	it("discovers every provider folder, chat providers first", () => {
		const names = [...providers.keys()];
		expect(names).to.include.members(["openai", "anthropic", "gemini", "openai-compatible"]);
		const firstTaskOnly = [...providers.values()].findIndex(p => !p.supportsChat);
		if (firstTaskOnly >= 0) expect([...providers.values()].slice(firstTaskOnly).every(p => !p.supportsChat)).to.equal(true);
	});

	it("uses the first configured provider when none is named, and the offline analyzer without keys", () => {
		expect(plan({ prompt: "hi" }).targets).to.deep.equal([{ provider: "anthropic", model: "claude-3-5-haiku-latest" }]);
		const offline = plan({ prompt: "hi" }, undefined, loadConfig({}));
		if (providers.has("local")) expect(offline.targets[0].provider).to.equal("local");
	});

	it("reads provider names, provider:model (colons in model names too) and bare model names", () => {
		expect(plan({ prompt: "x", providers: ["openai", "openai-compatible:llama3.2:1b"] }).targets).to.deep.equal([
			{ provider: "openai", model: "gpt-4o-mini" },
			{ provider: "openai-compatible", model: "llama3.2:1b" },
		]);
		expect(plan({ prompt: "x", model: "gpt-4o" }).targets).to.deep.equal([{ provider: "openai", model: "gpt-4o" }]);
		expect(plan({ prompt: "x", model: "my-finetune", providers: ["openai"] }).targets).to.deep.equal([{ provider: "openai", model: "my-finetune" }]);
	});

	it("defaults to single for one target and parallel for several; single keeps one target", () => {
		expect(plan({ prompt: "x", providers: ["openai"] }).strategy).to.equal("single");
		expect(plan({ prompt: "x", providers: ["openai", "gemini"] }).strategy).to.equal("parallel");
		expect(plan({ prompt: "x", providers: ["openai", "gemini"], strategy: "single" }).targets).to.have.length(1);
	});

	it("expands aliases given as model, provider entry or strategy, and LLM_ALIASES adds its own", () => {
		const fast = plan({ prompt: "x", model: "fast" });
		expect(fast.strategy).to.equal("race");
		expect(fast.targets.map(t => t.provider)).to.deep.equal(["openai", "gemini", "anthropic"]);
		expect(plan({ prompt: "x", strategy: "reliable" }).strategy).to.equal("fallback");
		expect(plan({ prompt: "x", providers: ["fast"], strategy: "parallel" }).strategy).to.equal("parallel");
		const custom = loadConfig({ ...KEYS, LLM_ALIASES: JSON.stringify({ duo: { strategy: "consensus", providers: ["openai:gpt-4o", "anthropic"] } }) });
		expect(plan({ prompt: "x", model: "duo" }, undefined, custom)).to.deep.include({
			strategy: "consensus",
			targets: [
				{ provider: "openai", model: "gpt-4o" },
				{ provider: "anthropic", model: "claude-3-5-haiku-latest" },
			],
		});
	});

	it("answers 422 for unknown providers, models and strategies, and for a request with nothing to answer", () => {
		expect(invalid({ prompt: "x", providers: ["nope"] })).to.include({ code: 422 });
		expect(invalid({ prompt: "x", providers: ["nope"] }).message).to.match(/Unknown provider "nope"/);
		expect(invalid({ prompt: "x", model: "no-such-model" }).message).to.match(/provider:model/);
		expect(invalid({ prompt: "x", strategy: "toss-a-coin" }).message).to.match(/Unknown strategy/);
		expect(invalid({ providers: ["openai"] }).message).to.match(/messages/);
		expect(invalid({ prompt: "x", providers: ["openai:"] }).code).to.equal(422);
		expect(invalid({ prompt: "x", model: "__proto__" }).code).to.equal(422);
		// Longer than the stored records' model column: refused before any call, not at the write.
		expect(invalid({ prompt: "x", providers: [`openai:${"m".repeat(201)}`] }).message).to.match(/longer than 200 characters/);
		expect(plan({ prompt: "x", providers: [`openai:${"m".repeat(200)}`] }).targets[0].model).to.have.length(200);
	});

	it("takes a profile's values as defaults under the request's own", () => {
		const profile: Profile = { name: "p", providers: ["gemini"], strategy: "fallback", params: { temperature: 0.2, max_tokens: 50 } };
		expect(plan({ prompt: "x" }, profile)).to.deep.include({ strategy: "fallback", params: { temperature: 0.2, max_tokens: 50 } });
		expect(plan({ prompt: "x" }, profile).targets[0].provider).to.equal("gemini");
		const own = plan({ prompt: "x", providers: ["openai"], params: { temperature: 0.9 } }, profile);
		expect(own.targets[0].provider).to.equal("openai");
		expect(own.params).to.deep.equal({ temperature: 0.9, max_tokens: 50 });
	});

	it("caches deterministic requests (temperature 0) or those that ask, never those that refuse", () => {
		expect(plan({ prompt: "x", params: { temperature: 0 } }).cacheable).to.equal(true);
		expect(plan({ prompt: "x" }).cacheable).to.equal(false);
		expect(plan({ prompt: "x", params: { temperature: 1 }, cache: true }).cacheable).to.equal(true);
		expect(plan({ prompt: "x", params: { temperature: 0 }, cache: false }).cacheable).to.equal(false);
	});

	it("hashes what the answer depends on, not key order or absent fields", () => {
		const a = plan({ prompt: "x", params: { temperature: 0, top_p: 1 } });
		const b = plan({ params: { top_p: 1, temperature: 0 }, prompt: "x", system: undefined });
		expect(planHash(a)).to.equal(planHash(b));
		expect(planHash(a)).to.not.equal(planHash(plan({ prompt: "y", params: { temperature: 0, top_p: 1 } })));
	});
});

describe("llm settings", () => {
	it("has working defaults", () => {
		const { llm } = loadConfig({});
		expect(llm).to.deep.include({ timeoutMs: 60_000, retries: 2, circuitFailures: 5, userMonthlyBudgetUsd: 10, userRequestsPerMinute: 120, consensusJudge: undefined });
		expect(Object.keys(llm.aliases)).to.include.members(["fast", "reliable"]);
	});

	it("rejects unusable values, naming the variable", () => {
		const refused = (env: Record<string, string>, variable: string, message?: RegExp) =>
			expect(() => loadConfig(env), JSON.stringify(env)).to.throw(ConfigError, message).with.property("variable", variable);
		refused({ LLM_ALIASES: "fast=race" }, "LLM_ALIASES");
		refused({ LLM_ALIASES: '{"x":{"strategy":"vote","providers":["openai"]}}' }, "LLM_ALIASES", /strategy must be one of/);
		refused({ LLM_ALIASES: '{"x":{"providers":[]}}' }, "LLM_ALIASES");
		refused({ LLM_PRICING: '{"gpt-4o":{"input":1,"output":2}}' }, "LLM_PRICING", /provider:model/);
		refused({ LLM_PRICING: '{"openai:gpt-4o":{"input":-1,"output":2}}' }, "LLM_PRICING");
		refused({ LLM_USER_MONTHLY_BUDGET_USD: "ten" }, "LLM_USER_MONTHLY_BUDGET_USD");
		refused({ LLM_TIMEOUT_MS: "5" }, "LLM_TIMEOUT_MS");
		refused({ LLM_CONSENSUS_JUDGE: "gpt-4o" }, "LLM_CONSENSUS_JUDGE");
	});
});

describe("llm consensus by agreement", () => {
	const answer = (output: string) => ({ provider: "p", model: "m", output, usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, latencyMs: 0, cached: false });

	it("picks the answer that agrees most with the others", () => {
		const answers = [answer("The capital of France is Lyon."), answer("Paris is the capital of France."), answer("The capital of France is Paris.")];
		expect(mostAgreed(answers)).to.be.oneOf([1, 2]);
		expect(mostAgreed([answer("completely different"), answer("the capital is paris"), answer("paris is the capital")])).to.be.oneOf([1, 2]);
	});

	it("keeps the earlier answer on a tie and copes with empty answers", () => {
		expect(mostAgreed([answer("a b"), answer("c d")])).to.equal(0);
		expect(mostAgreed([answer(""), answer("")])).to.equal(0);
	});
});
