import type { PlatformConfig } from "../../shared/config.ts";
import type { CompleteParams, CompleteResult, ProviderResult } from "../../shared/contracts/llm.ts";
import type { CallStore } from "./call-store.ts";
import { planHash, resolvePlan, type Plan, type Profile, type Target } from "./plan.ts";
import type { LlmPrice } from "../../shared/config.ts";
import { addUsage, isFree, priceOf } from "./pricing.ts";
import { ProviderClock } from "./provider-clock.ts";
import type { ProviderGuards } from "./provider-guards.ts";
import type { Provider } from "./providers/provider.ts";
import { ResultCache, servedFromCache } from "./result-cache.ts";
import { strategies, type StrategyOptions } from "./strategies/index.ts";
import { TargetCaller, type CallScope } from "./target-caller.ts";
import type { SettleBudget, UsageLimits } from "./usage-limits.ts";
import { worstCaseJudgeUsd, worstCasePlanUsd } from "./worst-case-cost.ts";

export interface OrchestratorDeps {
	config: PlatformConfig;
	providers: Provider[];
	guards: ProviderGuards;
	store: CallStore;
	limits: UsageLimits;
	cache: ResultCache;
}

export interface RequestScope {
	userId: string | null;
	/**
	 * Whether the per-minute request limit applies: requests a user sends (through the gateway or
	 * the OpenAI-compatible service) count; the calls an analysis or a study makes on their behalf
	 * were admitted when the user started them, and are bounded by their own budgets.
	 */
	countsTowardRequestLimit: boolean;
	profile?: Profile;
	signal?: AbortSignal;
}

export interface ProviderListing {
	name: string;
	configured: boolean;
	models: string[];
	circuit: string;
	chat: boolean;
}

/** An admitted request: answered from the cache, or allowed to call with this much of the budget reserved. */
export type Admission = { cached: CompleteResult } | ({ cached?: undefined } & BudgetHold);

/** The worst case reserved for a request, and how to settle it; settle once. */
export interface BudgetHold {
	reservedUsd: number;
	settle: SettleBudget;
}

/** A CompleteResult and the time its providers took (for the overhead the platform reports). */
export interface Completion {
	result: CompleteResult;
	providerMs: number;
}

const JUDGE_INSTRUCTION =
	"You compare answers that different assistants gave to the same request. Reply with the number of the best answer (the most correct, complete and helpful) and nothing else.";

/**
 * The orchestrator: a request becomes a plan, passes the per-user limits, is answered from the result
 * cache when it may be, and otherwise runs its strategy over the providers.
 */
export class Orchestrator {
	readonly deps: OrchestratorDeps;
	readonly providers: Map<string, Provider>;
	readonly caller: TargetCaller;

	constructor(deps: OrchestratorDeps) {
		this.deps = deps;
		this.providers = new Map(deps.providers.map(p => [p.name, p]));
		this.caller = new TargetCaller({ config: deps.config, providers: this.providers, guards: deps.guards, store: deps.store });
	}

	listProviders(): ProviderListing[] {
		return this.deps.providers.map(p => ({
			name: p.name,
			configured: p.isConfigured(this.deps.config),
			models: p.models(this.deps.config),
			circuit: this.deps.guards.circuit(p.name),
			chat: p.supportsChat,
		}));
	}

	plan(request: CompleteParams, profile?: Profile): Plan {
		return resolvePlan(request, profile, { providers: this.providers, config: this.deps.config });
	}

	/** USD per million tokens of a target; 422 for a paid model without a known price. */
	priceOf(target: Target): LlmPrice {
		return priceOf(this.providers.get(target.provider)!, target.model, this.deps.config);
	}

	/**
	 * Prices first (a model that cannot be priced is refused before anything counts), then the rate
	 * limit (every request counts), then the cache (free), then the budget: the plan's worst-case cost
	 * is reserved before any provider is called, and the caller settles it to the real cost after.
	 */
	async admit(plan: Plan, userId: string | null, countsTowardRequestLimit = true): Promise<Admission> {
		const prices = new Map(plan.targets.map(t => [t, this.priceOf(t)]));
		const judge = this.#judgeTarget(plan);
		const judgePrice = judge ? this.priceOf(judge) : undefined;
		if (userId && countsTowardRequestLimit) await this.deps.limits.countRequest(userId);
		if (plan.cacheable) {
			const hit = await this.deps.cache.get(userId, planHash(plan));
			if (hit) return { cached: servedFromCache(hit) };
		}
		const worstCase = worstCasePlanUsd(plan, t => prices.get(t)!, this.deps.config) + (judgePrice && !isFree(judgePrice) ? worstCaseJudgeUsd(plan.targets.length, judgePrice) : 0);
		const settle = userId ? await this.deps.limits.reserveBudget(userId, worstCase) : async () => {};
		return { reservedUsd: worstCase, settle };
	}

	async complete(request: CompleteParams, scope: RequestScope): Promise<Completion> {
		const started = performance.now();
		const plan = this.plan(request, scope.profile);
		const admission = await this.admit(plan, scope.userId, scope.countsTowardRequestLimit);
		if (admission.cached) return { result: { ...admission.cached, latencyMs: Math.round(performance.now() - started) }, providerMs: 0 };
		let completion: Completion | undefined;
		try {
			completion = await this.run(plan, scope, started);
			return completion;
		} finally {
			// What the calls cost (every one is recorded); when the run itself failed, the reserved worst case.
			await admission.settle(completion ? completion.result.costUsd : admission.reservedUsd);
		}
	}

	/** Runs an admitted plan's strategy and totals the results. */
	async run(plan: Plan, scope: RequestScope, started = performance.now()): Promise<Completion> {
		const callScope: CallScope = { userId: scope.userId, clock: new ProviderClock(), signal: scope.signal };
		const options: StrategyOptions = { signal: scope.signal, judge: this.#judge(plan, callScope) };
		const outcome = await strategies[plan.strategy](plan.targets, (target, signal) => this.caller.call(plan, target, { ...callScope, signal }), options);

		const charged = outcome.judge ? [...outcome.results, outcome.judge] : outcome.results;
		const chosen = outcome.chosen === undefined ? undefined : outcome.results[outcome.chosen];
		const result: CompleteResult = {
			output: chosen?.output ?? "",
			...(chosen?.data ? { data: chosen.data } : {}),
			...(chosen?.finishReason ? { finishReason: chosen.finishReason } : {}),
			results: outcome.results,
			usage: charged.reduce((sum, r) => addUsage(sum, r.usage), { inputTokens: 0, outputTokens: 0 }),
			costUsd: charged.reduce((sum, r) => sum + r.costUsd, 0),
			latencyMs: Math.round(performance.now() - started),
			cached: outcome.results.length > 0 && outcome.results.every(r => r.cached),
			...(chosen && outcome.results.length > 1 ? { chosen: { provider: chosen.provider, model: chosen.model } } : {}),
		};
		// Only a clean answer is worth repeating: no provider failed (a race's cancelled losers aside).
		if (plan.cacheable && chosen && outcome.results.every(r => !r.error || r.error.type === "aborted")) {
			await this.deps.cache.set(scope.userId, planHash(plan), result);
		}
		return { result, providerMs: callScope.clock.busyMs };
	}

	/** With LLM_CONSENSUS_JUDGE set, consensus asks that model to pick; its call is charged like any other. */
	#judgeTarget(plan: Plan): Target | undefined {
		const judgeModel = this.deps.config.llm.consensusJudge;
		if (plan.strategy !== "consensus" || !judgeModel) return undefined;
		return this.plan({ model: judgeModel, messages: [{ role: "user", content: "?" }] }).targets[0];
	}

	#judge(plan: Plan, scope: CallScope): StrategyOptions["judge"] {
		const judgeModel = this.deps.config.llm.consensusJudge;
		if (plan.strategy !== "consensus" || !judgeModel) return undefined;
		return async candidates => {
			const judgePlan = this.plan({ model: judgeModel, messages: judgeMessages(plan, candidates), params: { temperature: 0, max_tokens: 8 }, cache: false });
			const result = await this.caller.call(judgePlan, judgePlan.targets[0], scope);
			const number = Number(/\d+/.exec(result.output)?.[0]);
			return { result, index: number >= 1 && number <= candidates.length ? number - 1 : undefined };
		};
	}
}

function judgeMessages(plan: Plan, candidates: ProviderResult[]) {
	const request = plan.task
		? `Analyse this text (${plan.task.types.join(", ")}):\n${plan.task.input.slice(0, 4000)}`
		: plan.messages.map(m => `${m.role}: ${m.content}`).join("\n").slice(-4000);
	const answers = candidates.map((c, i) => `[${i + 1}]\n${(c.data ? JSON.stringify(c.data) : c.output).slice(0, 4000)}`).join("\n\n");
	return [
		{ role: "system" as const, content: JUDGE_INSTRUCTION },
		{ role: "user" as const, content: `Request:\n${request}\n\nAnswers:\n${answers}\n\nThe number of the best answer:` },
	];
}
