import type { CompleteParams, CompleteResult, ProviderResult, Usage } from "../../shared/contracts/llm.ts";
import type { Orchestrator, RequestScope } from "./orchestrator.ts";
import { planHash, targetHash, type Plan, type Target } from "./plan.ts";
import { costUsd, estimateTokens, priceOf } from "./pricing.ts";
import { allProvidersFailed } from "./provider-failure.ts";
import { ProviderClock } from "./provider-clock.ts";
import { ProviderError, type Provider, type ProviderRequest, type StreamEvent } from "./providers/provider.ts";
import { refuseUnusable } from "./target-caller.ts";

/** What `llm.stream` sends, in order: one start, any number of deltas, then one end (or one error). */
export type StreamChunk =
	| { type: "start"; provider: string; model: string; cached: boolean }
	| { type: "delta"; text: string }
	| { type: "end"; finishReason: string; usage: Usage; costUsd: number; cached: boolean; providerMs: number }
	| { type: "error"; error: { type: string; message: string } };

/** A provider without a streaming API still streams: its whole answer as one piece. */
async function* completeAsStream(provider: Provider, request: ProviderRequest, config: Parameters<Provider["complete"]>[1]): AsyncGenerator<StreamEvent> {
	const response = await provider.complete(request, config);
	yield { delta: response.text };
	yield { delta: "", finishReason: response.finishReason, usage: response.usage };
}

/** An answer that is already complete (cached, or from a strategy that compares whole answers), as a stream. */
async function* replay(result: CompleteResult, providerMs: number): AsyncGenerator<StreamChunk> {
	const chosen = result.results.find(r => !r.error && r.output === result.output) ?? result.results[0];
	yield { type: "start", provider: chosen?.provider ?? "", model: chosen?.model ?? "", cached: result.cached };
	if (result.output) yield { type: "delta", text: result.output };
	yield { type: "end", finishReason: result.finishReason ?? "stop", usage: result.usage, costUsd: result.costUsd, cached: result.cached, providerMs };
}

/** The chunks, and how long providers took until the first one (what the stream's overhead is measured against). */
export interface OpenStream {
	chunks: AsyncGenerator<StreamChunk>;
	providerMs: number;
}

interface OpenedStream {
	target: Target;
	iterator: AsyncIterator<StreamEvent>;
	/** Stops the provider's stream (its network call too). */
	abort(): void;
	first: IteratorResult<StreamEvent>;
	started: number;
}

/**
 * Opens a streamed answer. Everything that can refuse the request (validation, limits, budget, every
 * provider failing before its first token) happens before this resolves, so it still becomes an HTTP
 * error; `single` and `fallback` stream token by token, falling back until one provider starts. Other
 * strategies and analysis tasks need whole answers, so their chosen answer is sent once known.
 */
export async function openStream(orchestrator: Orchestrator, request: CompleteParams, scope: RequestScope): Promise<OpenStream> {
	const started = performance.now();
	const plan = orchestrator.plan(request, scope.profile);
	const cached = await orchestrator.admit(plan, scope.userId, scope.countsTowardRequestLimit);
	if (cached) return { chunks: replay(cached, 0), providerMs: 0 };
	if (plan.task || (plan.strategy !== "single" && plan.strategy !== "fallback")) {
		const { result, providerMs } = await orchestrator.run(plan, scope, started);
		if (!result.results.some(r => !r.error)) throw allProvidersFailed(result.results);
		return { chunks: replay(result, providerMs), providerMs };
	}
	const clock = new ProviderClock();
	const failures: ProviderResult[] = [];
	for (const target of plan.targets) {
		try {
			const opened = await open(orchestrator, plan, target, scope, clock);
			return { chunks: relay(orchestrator, plan, opened, scope, clock), providerMs: clock.busyMs };
		} catch (err) {
			const error = err as ProviderError;
			const failed: ProviderResult = {
				provider: target.provider,
				model: target.model,
				output: "",
				usage: { inputTokens: 0, outputTokens: 0 },
				costUsd: 0,
				latencyMs: 0,
				cached: false,
				error: { type: error.kind ?? "server_error", message: error.message },
			};
			orchestrator.caller.record({ userId: scope.userId, clock }, target, targetHash(plan, target), failed);
			failures.push(failed);
			if (scope.signal?.aborted) break;
		}
	}
	throw allProvidersFailed(failures);
}

/** Starts one provider's stream under its guards; retries and the breaker apply until the first event. */
async function open(orchestrator: Orchestrator, plan: Plan, target: Target, scope: RequestScope, clock: ProviderClock): Promise<OpenedStream> {
	const { config, guards } = orchestrator.deps;
	const provider = orchestrator.providers.get(target.provider)!;
	refuseUnusable(provider, plan, config);
	const started = performance.now();
	let iterator: AsyncIterator<StreamEvent> | undefined;
	// The guards' timeout covers the wait for the first event; this one stops the stream later on.
	const whole = new AbortController();
	const first = await clock.track(() =>
		guards.run(provider.name, scope.signal, attemptSignal => {
			const signal = AbortSignal.any([attemptSignal, whole.signal]);
			const request: ProviderRequest = { model: target.model, messages: plan.messages, system: plan.system, json: plan.json, params: plan.params, signal };
			const events = provider.stream ? provider.stream(request, config) : completeAsStream(provider, request, config);
			iterator = events[Symbol.asyncIterator]();
			return iterator.next();
		})
	);
	return { target, iterator: iterator!, first, started, abort: () => whole.abort() };
}

/** The next event, or a timeout error when the provider goes quiet for longer than a call may take. */
async function nextWithin(opened: OpenedStream, ms: number): Promise<IteratorResult<StreamEvent>> {
	const provider = opened.target.provider;
	let timer: NodeJS.Timeout | undefined;
	const quiet = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			opened.abort();
			reject(new ProviderError(provider, "timeout", `${provider} stopped sending for ${ms} ms`));
		}, ms);
	});
	try {
		return await Promise.race([opened.iterator.next(), quiet]);
	} finally {
		clearTimeout(timer);
	}
}

/** Passes the provider's events on, then records the call (usage reported or estimated), caches it, and ends. */
async function* relay(orchestrator: Orchestrator, plan: Plan, opened: OpenedStream, scope: RequestScope, clock: ProviderClock): AsyncGenerator<StreamChunk> {
	const { target } = opened;
	const provider = orchestrator.providers.get(target.provider)!;
	let text = "";
	let finishReason = "stop";
	let usage: Usage | undefined;
	let failure: ProviderError | undefined;
	yield { type: "start", provider: target.provider, model: target.model, cached: false };
	try {
		const idleMs = orchestrator.deps.config.llm.timeoutMs;
		for (let next = opened.first; !next.done; next = await clock.track(() => nextWithin(opened, idleMs))) {
			const event = next.value;
			if (event.delta) {
				text += event.delta;
				yield { type: "delta", text: event.delta };
			}
			if (event.finishReason) finishReason = event.finishReason;
			if (event.usage) usage = event.usage;
		}
	} catch (err) {
		failure = err instanceof ProviderError ? err : new ProviderError(target.provider, "network", `${target.provider} stopped streaming: ${(err as Error).message}`, { cause: err });
	}
	if (!usage || (usage.inputTokens === 0 && usage.outputTokens === 0)) {
		usage = { inputTokens: estimateTokens([plan.system ?? "", ...plan.messages.map(m => m.content)].join("\n")), outputTokens: estimateTokens(text) };
	}
	const cost = costUsd(priceOf(provider, target.model, orchestrator.deps.config), usage);
	const result: ProviderResult = {
		provider: target.provider,
		model: target.model,
		output: text,
		usage,
		costUsd: cost,
		latencyMs: Math.round(performance.now() - opened.started),
		cached: false,
		...(failure ? { error: { type: failure.kind, message: failure.message } } : {}),
	};
	orchestrator.caller.record({ userId: scope.userId, clock }, target, targetHash(plan, target), result);
	if (failure) {
		yield { type: "error", error: { type: failure.kind, message: failure.message } };
		return;
	}
	if (plan.cacheable) {
		const whole: CompleteResult = { output: text, results: [result], usage, costUsd: cost, latencyMs: result.latencyMs, cached: false };
		await orchestrator.deps.cache.set(scope.userId, planHash(plan), whole);
	}
	yield { type: "end", finishReason, usage, costUsd: cost, cached: false, providerMs: clock.busyMs };
}
