import { bulkhead, circuitBreaker, ConsecutiveBreaker, handleWhen, BrokenCircuitError, BulkheadRejectedError, CircuitState, wrap, type IPolicy } from "cockatiel";
import type { LlmSettings } from "../../shared/config.ts";
import { ProviderError } from "./providers/provider.ts";
import { toProviderError } from "./providers/provider-errors.ts";

export type CircuitName = "closed" | "open" | "half-open" | "isolated";

const CIRCUIT_NAMES: Record<CircuitState, CircuitName> = {
	[CircuitState.Closed]: "closed",
	[CircuitState.Open]: "open",
	[CircuitState.HalfOpen]: "half-open",
	[CircuitState.Isolated]: "isolated",
};

/** Longest Retry-After worth waiting for; a provider that asks for more is given up on (fallback moves on). */
const MAX_RETRY_WAIT_MS = 20_000;

/** Failures that say the provider is unwell; a refused request or a cancelled race loser says nothing about it. */
const unhealthy = (err: unknown) => err instanceof ProviderError && (err.kind === "server_error" || err.kind === "timeout" || err.kind === "network" || err.kind === "rate_limited");

interface Guard {
	breaker: ReturnType<typeof circuitBreaker>;
	policy: IPolicy;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const timer = setTimeout(() => {
			signal?.removeEventListener("abort", onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal?.reason);
		};
		signal?.addEventListener("abort", onAbort, { once: true });
	});
}

/**
 * Per-provider fault tolerance: a circuit breaker (consecutive failures open it; after the reset time
 * one trial call decides), a bulkhead (bounded calls in flight and a bounded queue), a per-attempt
 * timeout, and retries with exponential backoff that honour Retry-After, for retryable errors only.
 */
export class ProviderGuards {
	readonly #settings: LlmSettings;
	readonly #guards = new Map<string, Guard>();

	constructor(settings: LlmSettings) {
		this.#settings = settings;
	}

	#guard(provider: string): Guard {
		let guard = this.#guards.get(provider);
		if (!guard) {
			const breaker = circuitBreaker(handleWhen(unhealthy), {
				halfOpenAfter: this.#settings.circuitResetMs,
				breaker: new ConsecutiveBreaker(this.#settings.circuitFailures),
			});
			const limit = this.#settings.providerConcurrency;
			guard = { breaker, policy: wrap(breaker, bulkhead(limit, limit * 4)) };
			this.#guards.set(provider, guard);
		}
		return guard;
	}

	circuit(provider: string): CircuitName {
		return CIRCUIT_NAMES[this.#guards.get(provider)?.breaker.state ?? CircuitState.Closed];
	}

	/**
	 * One attempt: breaker, bulkhead and timeout around `call`, any failure classified. The attempt's
	 * own controller (not AbortSignal.timeout/any) so its timer and listeners go as soon as it ends.
	 */
	async #attempt<T>(provider: string, signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
		const controller = new AbortController();
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			controller.abort(new DOMException(`${provider} did not answer within ${this.#settings.timeoutMs} ms`, "TimeoutError"));
		}, this.#settings.timeoutMs);
		const cancel = () => controller.abort(signal?.reason);
		signal?.addEventListener("abort", cancel, { once: true });
		const why = () => ({ timedOut: timedOut && !signal?.aborted, aborted: Boolean(signal?.aborted) });
		// Classified inside the policy, so the breaker sees what kind of failure it was.
		const classified = () =>
			call(controller.signal).catch(err => {
				throw toProviderError(provider, err, why());
			});
		try {
			return await this.#guard(provider).policy.execute(classified, signal);
		} catch (err) {
			if (err instanceof BrokenCircuitError) throw new ProviderError(provider, "circuit_open", `${provider} is failing; its circuit is open, so it is not called for now`, { cause: err });
			if (err instanceof BulkheadRejectedError) throw new ProviderError(provider, "overloaded", `${provider} has too many calls waiting; try again shortly`, { cause: err });
			throw toProviderError(provider, err, why());
		} finally {
			clearTimeout(timer);
			signal?.removeEventListener("abort", cancel);
		}
	}

	/** Runs `call` under the provider's guards, retrying retryable failures. */
	async run<T>(provider: string, signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
		for (let attempt = 0; ; attempt++) {
			try {
				return await this.#attempt(provider, signal, call);
			} catch (err) {
				const error = err as ProviderError;
				if (!error.retryable || attempt >= this.#settings.retries || signal?.aborted) throw error;
				const backoff = this.#settings.retryBaseMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
				const wait = Math.max(backoff, error.retryAfterMs ?? 0);
				if (wait > MAX_RETRY_WAIT_MS) throw error;
				await sleep(wait, signal).catch(() => {
					throw new ProviderError(provider, "aborted", `${provider} call was cancelled`);
				});
			}
		}
	}
}
