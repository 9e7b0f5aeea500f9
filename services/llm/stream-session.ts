import type { CompleteParams, CompleteResult, ProviderResult, Usage } from "../../shared/contracts/llm.ts";
import type { BudgetHold, Orchestrator, RequestScope } from "./orchestrator.ts";
import { planHash, targetHash, type Plan, type Target } from "./plan.ts";
import { costUsd, estimateTokens } from "./pricing.ts";
import { allProvidersFailed } from "./provider-failure.ts";
import { ProviderClock } from "./provider-clock.ts";
import { ProviderError, type Provider, type ProviderRequest, type StreamEvent } from "./providers/provider.ts";
import { refuseUnusable } from "./target-caller.ts";
import { boundedParams, worstCaseTargetUsd } from "./worst-case-cost.ts";

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
 * `disconnected` aborts when the client goes away: the provider's stream is stopped at once.
 */
export async function openStream(orchestrator: Orchestrator, request: CompleteParams, scope: RequestScope, disconnected?: AbortSignal): Promise<OpenStream> {
	const started = performance.now();
	const plan = orchestrator.plan(request, scope.profile);
	const admission = await orchestrator.admit(plan, scope.userId, scope.countsTowardRequestLimit);
	if (admission.cached) return { chunks: replay(admission.cached, 0), providerMs: 0 };
	if (plan.task || (plan.strategy !== "single" && plan.strategy !== "fallback")) {
		let completion: Awaited<ReturnType<Orchestrator["run"]>> | undefined;
		try {
			completion = await orchestrator.run(plan, scope, started);
		} finally {
			await admission.settle(completion ? completion.result.costUsd : admission.reservedUsd);
		}
		if (!completion.result.results.some(r => !r.error)) throw allProvidersFailed(completion.result.results);
		return { chunks: replay(completion.result, completion.providerMs), providerMs: completion.providerMs };
	}
	const clock = new ProviderClock();
	const failures: ProviderResult[] = [];
	for (const target of plan.targets) {
		try {
			const opened = await open(orchestrator, plan, target, scope, clock);
			return { chunks: relay(orchestrator, plan, opened, scope, clock, admission, disconnected), providerMs: clock.busyMs };
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
	// Nothing streamed and nothing was charged: the whole reservation goes back.
	await admission.settle(0);
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
			const params = boundedParams(plan.params, orchestrator.priceOf(target), config);
			const request: ProviderRequest = { model: target.model, messages: plan.messages, system: plan.system, json: plan.json, params, signal };
			const events = provider.stream ? provider.stream(request, config) : completeAsStream(provider, request, config);
			iterator = events[Symbol.asyncIterator]();
			return iterator.next();
		})
	);
	return { target, iterator: iterator!, first, started, abort: () => whole.abort() };
}

/**
 * The next event; a timeout error when the provider goes quiet for longer than a call may take; an
 * `aborted` error the moment the client disconnects. Either way the provider's stream is stopped.
 */
async function nextWithin(opened: OpenedStream, ms: number, disconnected?: AbortSignal): Promise<IteratorResult<StreamEvent>> {
	const provider = opened.target.provider;
	let timer: NodeJS.Timeout | undefined;
	let onDisconnect: (() => void) | undefined;
	const stopped = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			opened.abort();
			reject(new ProviderError(provider, "timeout", `${provider} stopped sending for ${ms} ms`));
		}, ms);
		onDisconnect = () => {
			opened.abort();
			reject(new ProviderError(provider, "aborted", "The client disconnected; the provider's stream was stopped"));
		};
		if (disconnected?.aborted) onDisconnect();
		else disconnected?.addEventListener("abort", onDisconnect, { once: true });
	});
	try {
		return await Promise.race([opened.iterator.next(), stopped]);
	} finally {
		clearTimeout(timer);
		disconnected?.removeEventListener("abort", onDisconnect!);
	}
}

/**
 * What one relayed stream costs, written once: the call's record and the budget's settlement. The
 * charge is the usage the provider reported; a stream that ended without reporting it is charged by
 * estimate, and one cut short (the client went away, the provider failed) the reserved worst case,
 * since the provider may have generated far more than was relayed.
 */
class StreamAccount {
	text = "";
	finishReason = "stop";
	usage: Usage | undefined;
	#closed: Promise<ProviderResult> | undefined;
	readonly #orchestrator: Orchestrator;
	readonly #plan: Plan;
	readonly #opened: OpenedStream;
	readonly #scope: RequestScope;
	readonly #clock: ProviderClock;
	readonly #hold: BudgetHold;

	constructor(orchestrator: Orchestrator, plan: Plan, opened: OpenedStream, scope: RequestScope, clock: ProviderClock, hold: BudgetHold) {
		this.#orchestrator = orchestrator;
		this.#plan = plan;
		this.#opened = opened;
		this.#scope = scope;
		this.#clock = clock;
		this.#hold = hold;
	}

	/** Stops the provider unless it ended, records the call and settles; later calls answer the first one's result. */
	close(ended: boolean, failure?: ProviderError): Promise<ProviderResult> {
		this.#closed ??= this.#close(ended, failure);
		return this.#closed;
	}

	async #close(ended: boolean, failure?: ProviderError): Promise<ProviderResult> {
		const { target } = this.#opened;
		const plan = this.#plan;
		const { config } = this.#orchestrator.deps;
		if (!ended) this.#opened.abort();
		const price = this.#orchestrator.priceOf(target);
		const reported = this.usage && (this.usage.inputTokens > 0 || this.usage.outputTokens > 0) ? this.usage : undefined;
		const charged = reported ?? { inputTokens: estimateTokens([plan.system ?? "", ...plan.messages.map(m => m.content)].join("\n")), outputTokens: estimateTokens(this.text) };
		const cost = reported || ended ? costUsd(price, charged) : Math.max(costUsd(price, charged), worstCaseTargetUsd(plan, price, config));
		const error = failure ?? (ended ? undefined : new ProviderError(target.provider, "aborted", "The client went away; the provider's stream was stopped"));
		const result: ProviderResult = {
			provider: target.provider,
			model: target.model,
			output: this.text,
			usage: charged,
			costUsd: cost,
			latencyMs: Math.round(performance.now() - this.#opened.started),
			cached: false,
			...(error ? { error: { type: error.kind, message: error.message } } : {}),
			...(ended ? { finishReason: this.finishReason } : {}),
		};
		this.#orchestrator.caller.record({ userId: this.#scope.userId, clock: this.#clock }, target, targetHash(plan, target), result);
		await this.#hold.settle(cost);
		return result;
	}
}

/**
 * Passes the provider's events on, then closes the account (record, settlement) and caches the
 * answer. A disconnect closes the account at once, even before the consumer first reads (a generator
 * not yet started runs no `finally` when it is returned).
 */
function relay(orchestrator: Orchestrator, plan: Plan, opened: OpenedStream, scope: RequestScope, clock: ProviderClock, hold: BudgetHold, disconnected?: AbortSignal): AsyncGenerator<StreamChunk> {
	const account = new StreamAccount(orchestrator, plan, opened, scope, clock, hold);
	const onDisconnect = () => void account.close(false);
	if (disconnected?.aborted) onDisconnect();
	else disconnected?.addEventListener("abort", onDisconnect, { once: true });
	return relayEvents(orchestrator, plan, opened, scope, clock, account, disconnected);
}

async function* relayEvents(
	orchestrator: Orchestrator,
	plan: Plan,
	opened: OpenedStream,
	scope: RequestScope,
	clock: ProviderClock,
	account: StreamAccount,
	disconnected?: AbortSignal
): AsyncGenerator<StreamChunk> {
	const { target } = opened;
	let ended = false;
	let failure: ProviderError | undefined;
	try {
		yield { type: "start", provider: target.provider, model: target.model, cached: false };
		const idleMs = orchestrator.deps.config.llm.timeoutMs;
		for (let next = opened.first; !next.done; next = await clock.track(() => nextWithin(opened, idleMs, disconnected))) {
			const event = next.value;
			if (event.delta) {
				account.text += event.delta;
				yield { type: "delta", text: event.delta };
			}
			if (event.finishReason) account.finishReason = event.finishReason;
			if (event.usage) account.usage = event.usage;
		}
		ended = true;
	} catch (err) {
		failure = err instanceof ProviderError ? err : new ProviderError(target.provider, "network", `${target.provider} stopped streaming: ${(err as Error).message}`, { cause: err });
	} finally {
		// Also when the consumer stops reading: the generator is returned at a yield and only this runs.
		await account.close(ended, failure);
	}
	const result = await account.close(ended, failure);
	if (result.error) {
		yield { type: "error", error: result.error };
		return;
	}
	if (plan.cacheable) {
		const whole: CompleteResult = { output: result.output, results: [result], usage: result.usage, costUsd: result.costUsd, latencyMs: result.latencyMs, cached: false };
		await orchestrator.deps.cache.set(scope.userId, planHash(plan), whole);
	}
	yield { type: "end", finishReason: account.finishReason, usage: result.usage, costUsd: result.costUsd, cached: false, providerMs: clock.busyMs };
}
