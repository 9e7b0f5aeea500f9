import type Anthropic from "@anthropic-ai/sdk";
import type { Provider, ProviderRequest } from "../provider.ts";
import { systemText, turns } from "../conversation.ts";
import { sdkClients } from "../sdk-clients.ts";

/** Anthropic requires max_tokens; this is what a request that names none gets. */
const DEFAULT_MAX_TOKENS = 4096;

const client = sdkClients<Anthropic>(async (endpoint, timeoutMs) => {
	const { default: AnthropicClient } = await import("@anthropic-ai/sdk");
	return new AnthropicClient({ apiKey: endpoint.apiKey, baseURL: endpoint.baseUrl, maxRetries: 0, timeout: timeoutMs });
});

function body(request: ProviderRequest) {
	const system = systemText(request);
	const { temperature, top_p, max_tokens, stop } = request.params;
	return {
		model: request.model,
		max_tokens: max_tokens ?? DEFAULT_MAX_TOKENS,
		messages: turns(request),
		...(system ? { system } : {}),
		// Anthropic's scale ends at 1 where OpenAI's ends at 2: keep the meaning "as random as allowed".
		...(temperature !== undefined ? { temperature: Math.min(temperature, 1) } : {}),
		...(top_p !== undefined ? { top_p } : {}),
		...(stop && stop.length > 0 ? { stop_sequences: stop } : {}),
	};
}

const FINISH_REASONS: Record<string, string> = { end_turn: "stop", stop_sequence: "stop", max_tokens: "length", refusal: "content_filter", tool_use: "tool_calls" };

/** Anthropic's Messages API (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL). */
export const anthropicProvider: Provider = {
	name: "anthropic",
	supportsChat: true,
	priceSource: "anthropic",
	defaultModel: () => "claude-3-5-haiku-latest",
	/** The models listed to clients (/v1/models); any other model the catalog prices works too. */
	models: () => ["claude-3-5-haiku-latest", "claude-3-5-sonnet-latest", "claude-3-7-sonnet-latest", "claude-sonnet-4-0", "claude-opus-4-0", "claude-3-haiku-20240307"],
	isConfigured: config => Boolean(config.providers.anthropic.apiKey),

	async complete(request, config) {
		const sdk = await client(config.providers.anthropic, config.llm.timeoutMs);
		const message = await sdk.messages.create(body(request), { signal: request.signal });
		const text = message.content.map(block => (block.type === "text" ? block.text : "")).join("");
		return {
			text,
			finishReason: FINISH_REASONS[message.stop_reason ?? "end_turn"] ?? message.stop_reason ?? "stop",
			usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens },
			model: message.model || request.model,
		};
	},

	async *stream(request, config) {
		const sdk = await client(config.providers.anthropic, config.llm.timeoutMs);
		const events = await sdk.messages.create({ ...body(request), stream: true }, { signal: request.signal });
		let inputTokens = 0;
		let outputTokens = 0;
		let stopReason: string | null = null;
		for await (const event of events) {
			if (event.type === "message_start") inputTokens = event.message.usage.input_tokens;
			else if (event.type === "content_block_delta" && event.delta.type === "text_delta") yield { delta: event.delta.text };
			else if (event.type === "message_delta") {
				outputTokens = event.usage.output_tokens;
				stopReason = event.delta.stop_reason;
			}
		}
		// An aborted SDK stream may simply end; it must not pass for a complete answer.
		request.signal?.throwIfAborted();
		yield { delta: "", finishReason: FINISH_REASONS[stopReason ?? "end_turn"] ?? stopReason ?? "stop", usage: { inputTokens, outputTokens } };
	},
};
