import type { PlatformConfig } from "../../../shared/config.ts";
import type { AnalysisData, AnalysisTask, ChatMessage, CompletionParams, Usage } from "../../../shared/contracts/llm.ts";

/**
 * The one request shape every provider maps to its own API. Adding a provider is one folder
 * under providers/ implementing `Provider`; nothing else changes.
 */
export interface ProviderRequest {
	model: string;
	messages: ChatMessage[];
	system?: string;
	params: CompletionParams;
	/** JSON output wanted. */
	json?: boolean;
	/** Only the `local` provider receives tasks directly; others get a prompt built from the task. */
	task?: AnalysisTask;
	signal?: AbortSignal;
}

export interface ProviderResponse {
	text: string;
	finishReason: "stop" | "length" | "content_filter" | "tool_calls" | "error" | string;
	usage: Usage;
	model: string;
	/** The `local` provider answers tasks with structured data directly. */
	data?: AnalysisData;
}

export interface StreamEvent {
	/** Text appended since the previous event. */
	delta: string;
	/** Present on the last event. */
	finishReason?: string;
	usage?: Usage;
}

export interface Provider {
	/** `openai`, `anthropic`, `gemini`, `openai-compatible`, `local`. */
	name: string;
	defaultModel(config: PlatformConfig): string;
	models(config: PlatformConfig): string[];
	/** A provider without its key (or base URL) is listed but not used. */
	isConfigured(config: PlatformConfig): boolean;
	/** Whether it answers free-form chat (the local analyzer does not, and gets analysis tasks directly). */
	supportsChat: boolean;
	/**
	 * The provider's id in @pydantic/genai-prices, for a provider that charges: its models are priced
	 * from that catalog (LLM_PRICING overrides it), and a model it does not know is refused. Without
	 * it the provider is free (the offline analyzer, self-hosted servers) unless LLM_PRICING prices it.
	 */
	priceSource?: string;
	complete(request: ProviderRequest, config: PlatformConfig): Promise<ProviderResponse>;
	stream?(request: ProviderRequest, config: PlatformConfig): AsyncIterable<StreamEvent>;
	/** Releases what the provider started (threads, connections) when the service stops. */
	close?(): Promise<void>;
}

/**
 * A provider failure, classified so strategies know whether to retry or fall back. `status` is the
 * provider's HTTP status when there was one; `retryAfterMs` honours its Retry-After.
 */
export class ProviderError extends Error {
	readonly provider: string;
	readonly status?: number;
	readonly retryable: boolean;
	readonly retryAfterMs?: number;
	readonly kind:
		| "timeout"
		| "rate_limited"
		| "server_error"
		| "client_error"
		| "unsupported"
		| "not_configured"
		| "network"
		| "aborted"
		/** The provider's circuit breaker is open: it is not called until its reset time has passed. */
		| "circuit_open"
		/** Too many calls to the provider are in flight and waiting (bulkhead). */
		| "overloaded"
		/** An analysis task's answer stayed invalid after one repair attempt. */
		| "invalid_output";
	constructor(
		provider: string,
		kind: ProviderError["kind"],
		message: string,
		options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}
	) {
		super(message, { cause: options.cause });
		this.name = "ProviderError";
		this.provider = provider;
		this.kind = kind;
		this.status = options.status;
		this.retryAfterMs = options.retryAfterMs;
		this.retryable = kind === "timeout" || kind === "rate_limited" || kind === "server_error" || kind === "network";
	}
}
