import type { LlmPrice, PlatformConfig } from "../../shared/config.ts";
import type { AnalysisData, ProviderResult, Usage } from "../../shared/contracts/llm.ts";
import type { CallStore } from "./call-store.ts";
import { targetHash, type Plan, type Target } from "./plan.ts";
import { addUsage, costUsd, estimateTokens, priceOf } from "./pricing.ts";
import type { ProviderClock } from "./provider-clock.ts";
import type { ProviderGuards } from "./provider-guards.ts";
import { ProviderError, type Provider, type ProviderRequest, type ProviderResponse } from "./providers/provider.ts";
import { taskPrompts } from "./task-prompts.ts";
import { boundedParams } from "./worst-case-cost.ts";

export interface CallerDeps {
	config: PlatformConfig;
	providers: Map<string, Provider>;
	guards: ProviderGuards;
	store: CallStore;
}

/** Who asks, under which cancellation, timed by which clock. */
export interface CallScope {
	userId: string | null;
	clock: ProviderClock;
	signal?: AbortSignal;
}

interface Answer {
	output: string;
	data?: AnalysisData;
	usage: Usage;
	finishReason: string;
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0 };

/** Usage as reported, or estimated from the text when a provider reports none. */
function usageOf(response: ProviderResponse, request: ProviderRequest): Usage {
	if (response.usage.inputTokens > 0 || response.usage.outputTokens > 0) return response.usage;
	if (request.task && !request.messages.length) return NO_USAGE; // the offline analyzer: no tokens
	return { inputTokens: estimateTokens([request.system ?? "", ...request.messages.map(m => m.content)].join("\n")), outputTokens: estimateTokens(response.text) };
}

/** A provider without its key, or free-form chat to the offline analyzer: an honest error, never a call. */
export function refuseUnusable(provider: Provider, plan: Plan, config: PlatformConfig): void {
	if (!provider.isConfigured(config)) {
		throw new ProviderError(provider.name, "not_configured", `${provider.name} is not configured (its API key or base URL is not set)`);
	}
	if (!plan.task && !provider.supportsChat) {
		throw new ProviderError(provider.name, "unsupported", `${provider.name} answers analysis tasks (summary, keywords, ...) only, not free-form chat; choose a chat provider`);
	}
}

/**
 * Calls one provider:model for a plan and always answers a ProviderResult: an error becomes that
 * result's `error`, never an exception, so one failing provider never hides the others. Every call is
 * recorded; a cacheable request is first looked up among the stored answers.
 */
export class TargetCaller {
	readonly #deps: CallerDeps;

	constructor(deps: CallerDeps) {
		this.#deps = deps;
	}

	async call(plan: Plan, target: Target, scope: CallScope): Promise<ProviderResult> {
		const started = performance.now();
		const hash = targetHash(plan, target);
		if (plan.cacheable) {
			const stored = await this.#deps.store.findStored(scope.userId, hash).catch(() => null);
			if (stored) {
				return {
					provider: target.provider,
					model: stored.model,
					output: stored.output ?? "",
					...(stored.data ? { data: JSON.parse(stored.data) as AnalysisData } : {}),
					usage: { inputTokens: stored.inputTokens, outputTokens: stored.outputTokens },
					costUsd: 0,
					latencyMs: Math.round(performance.now() - started),
					cached: true,
					finishReason: stored.finishReason ?? "stop",
				};
			}
		}
		const provider = this.#deps.providers.get(target.provider)!;
		const price = priceOf(provider, target.model, this.#deps.config);
		let spent: Usage = NO_USAGE;
		try {
			const answer = await this.#answer(provider, plan, target, price, scope, usage => (spent = addUsage(spent, usage)));
			const result: ProviderResult = {
				provider: target.provider,
				model: target.model,
				output: answer.output,
				...(answer.data ? { data: answer.data } : {}),
				usage: answer.usage,
				costUsd: costUsd(price, answer.usage),
				latencyMs: Math.round(performance.now() - started),
				cached: false,
				finishReason: answer.finishReason,
			};
			this.record(scope, target, hash, result);
			return result;
		} catch (err) {
			const error = err instanceof ProviderError ? err : new ProviderError(target.provider, "server_error", `${target.provider} failed`, { cause: err });
			const result: ProviderResult = {
				provider: target.provider,
				model: target.model,
				output: "",
				usage: spent,
				costUsd: costUsd(price, spent),
				latencyMs: Math.round(performance.now() - started),
				cached: false,
				error: { type: error.kind, message: error.message },
			};
			this.record(scope, target, hash, result);
			return result;
		}
	}

	record(scope: CallScope, target: Target, hash: string, result: ProviderResult): void {
		this.#deps.store.record({
			userId: scope.userId,
			provider: target.provider,
			model: target.model,
			paramsHash: hash,
			status: result.error ? "error" : "ok",
			errorType: result.error?.type,
			usage: result.usage,
			costUsd: result.costUsd,
			latencyMs: result.latencyMs,
			output: result.output,
			data: result.data,
			finishReason: result.finishReason,
		});
	}

	/** One guarded provider call; `spend` hears of every response's usage, even one that is then rejected. */
	async #complete(provider: Provider, request: ProviderRequest, scope: CallScope, spend: (usage: Usage) => void): Promise<ProviderResponse & { usage: Usage }> {
		const response = await scope.clock.track(() =>
			this.#deps.guards.run(provider.name, scope.signal, signal => provider.complete({ ...request, signal }, this.#deps.config))
		);
		const usage = usageOf(response, request);
		spend(usage);
		return { ...response, usage };
	}

	async #answer(provider: Provider, plan: Plan, target: Target, price: LlmPrice, scope: CallScope, spend: (usage: Usage) => void): Promise<Answer> {
		refuseUnusable(provider, plan, this.#deps.config);
		const base = { model: target.model, params: boundedParams(plan.params, price, this.#deps.config) };
		if (!plan.task) {
			const response = await this.#complete(provider, { ...base, messages: plan.messages, system: plan.system, json: plan.json }, scope, spend);
			return { output: response.text, usage: response.usage, finishReason: response.finishReason };
		}
		if (!provider.supportsChat) {
			// The offline analyzer answers the task itself, with structured data.
			const response = await this.#complete(provider, { ...base, messages: [], task: plan.task }, scope, spend);
			const prompts = response.data && !response.text ? await taskPrompts() : undefined;
			return {
				output: response.text || (prompts && response.data ? prompts.taskOutputText(plan.task, response.data) : ""),
				data: response.data,
				usage: response.usage,
				finishReason: response.finishReason,
			};
		}
		// A chat model is asked for JSON, checked, and given one chance to repair an invalid answer.
		const prompts = await taskPrompts();
		const first = await this.#complete(provider, { ...base, ...prompts.buildTaskRequest(plan.task, plan.params) }, scope, spend);
		let parsed = prompts.parseTaskOutput(plan.task, first.text);
		let usage = first.usage;
		let finishReason = first.finishReason;
		if (!parsed.ok) {
			const repair = await this.#complete(provider, { ...base, ...prompts.buildRepairRequest(plan.task, first.text, parsed.error) }, scope, spend);
			usage = addUsage(usage, repair.usage);
			finishReason = repair.finishReason;
			parsed = prompts.parseTaskOutput(plan.task, repair.text);
			if (!parsed.ok) throw new ProviderError(provider.name, "invalid_output", `${provider.name} did not give a valid ${plan.task.types.join("/")} analysis, even after a repair attempt: ${parsed.error}`);
		}
		return { output: prompts.taskOutputText(plan.task, parsed.data), data: parsed.data, usage, finishReason };
	}
}
