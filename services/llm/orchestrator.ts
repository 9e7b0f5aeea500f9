import type { PlatformConfig } from "../../shared/config.ts";
import type { CompleteParams, CompleteResult, ProviderResult } from "../../shared/contracts/llm.ts";
import type { CallStore } from "./call-store.ts";
import { planHash, resolvePlan, type Plan, type Profile, type Target } from "./plan.ts";
import { addUsage, priceOf } from "./pricing.ts";
import { ProviderClock } from "./provider-clock.ts";
import type { ProviderGuards } from "./provider-guards.ts";
import type { Provider } from "./providers/provider.ts";
import { ResultCache, servedFromCache } from "./result-cache.ts";
import { strategies, type StrategyOptions } from "./strategies/index.ts";
import { TargetCaller, type CallScope } from "./target-caller.ts";
import type { UsageLimits } from "./usage-limits.ts";

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

	/** Rate limit first (every request counts), then the cache (free), then the budget (only if a paid model would be called). */
	async admit(plan: Plan, userId: string | null, countsTowardRequestLimit = true): Promise<CompleteResult | undefined> {
		if (userId && countsTowardRequestLimit) await this.deps.limits.countRequest(userId);
		if (plan.cacheable) {
			const hit = await this.deps.cache.get(userId, planHash(plan));
			if (hit) return servedFromCache(hit);
		}
		if (userId && plan.targets.some(t => this.#isPaid(t))) await this.deps.limits.checkBudget(userId);
		return undefined;
	}

	#isPaid(target: Target): boolean {
		const price = priceOf(this.providers.get(target.provider)!, target.model, this.deps.config);
		return price.input > 0 || price.output > 0;
	}

	async complete(request: CompleteParams, scope: RequestScope): Promise<Completion> {
		const started = performance.now();
		const plan = this.plan(request, scope.profile);
		const cached = await this.admit(plan, scope.userId, scope.countsTowardRequestLimit);
		if (cached) return { result: { ...cached, latencyMs: Math.round(performance.now() - started) }, providerMs: 0 };
		return this.run(plan, scope, started);
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
