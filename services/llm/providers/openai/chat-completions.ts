import type { PlatformConfig, ProviderEndpoint } from "../../../../shared/config.ts";
import type { Provider, ProviderRequest, ProviderResponse, StreamEvent } from "../provider.ts";
import { systemText, turns } from "../conversation.ts";
import { sdkClients } from "../sdk-clients.ts";
import type OpenAI from "openai";

/** What differs between OpenAI itself and the servers that copy its API. */
export interface ChatCompletionsOptions {
	endpoint(config: PlatformConfig): ProviderEndpoint;
	/** OpenAI renamed `max_tokens`; Ollama, vLLM and LM Studio still read the old name. */
	maxTokensField: "max_completion_tokens" | "max_tokens";
}

/** Retries, timeouts and breakers are the orchestrator's: the SDK must not retry behind its back. */
const client = sdkClients<OpenAI>(async (endpoint, timeoutMs) => {
	const { default: OpenAIClient } = await import("openai");
	return new OpenAIClient({ apiKey: endpoint.apiKey ?? "not-needed", baseURL: endpoint.baseUrl, maxRetries: 0, timeout: timeoutMs });
});

function body(request: ProviderRequest, options: ChatCompletionsOptions) {
	const system = systemText(request);
	const { temperature, top_p, max_tokens, stop } = request.params;
	return {
		model: request.model,
		messages: [...(system ? [{ role: "system" as const, content: system }] : []), ...turns(request)],
		...(temperature !== undefined ? { temperature } : {}),
		...(top_p !== undefined ? { top_p } : {}),
		...(max_tokens !== undefined ? { [options.maxTokensField]: max_tokens } : {}),
		...(stop && stop.length > 0 ? { stop } : {}),
		...(request.json ? { response_format: { type: "json_object" as const } } : {}),
	};
}

/** The provider methods every OpenAI-shaped API shares: one request mapping, JSON and SSE. */
export function chatCompletionsMethods(options: ChatCompletionsOptions): Pick<Provider, "complete" | "stream"> {
	return {
		async complete(request, config): Promise<ProviderResponse> {
			const sdk = await client(options.endpoint(config), config.llm.timeoutMs);
			const response = await sdk.chat.completions.create(body(request, options), { signal: request.signal });
			const choice = response.choices[0];
			return {
				text: choice?.message?.content ?? "",
				finishReason: choice?.finish_reason ?? "stop",
				usage: { inputTokens: response.usage?.prompt_tokens ?? 0, outputTokens: response.usage?.completion_tokens ?? 0 },
				model: response.model || request.model,
			};
		},
		async *stream(request, config): AsyncIterable<StreamEvent> {
			const sdk = await client(options.endpoint(config), config.llm.timeoutMs);
			const chunks = await sdk.chat.completions.create(
				{ ...body(request, options), stream: true, stream_options: { include_usage: true } },
				{ signal: request.signal }
			);
			let finishReason: string | undefined;
			let usage: StreamEvent["usage"];
			for await (const chunk of chunks) {
				const choice = chunk.choices[0];
				if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
				if (choice?.finish_reason) finishReason = choice.finish_reason;
				if (choice?.delta?.content) yield { delta: choice.delta.content };
			}
			// An aborted SDK stream may simply end; it must not pass for a complete answer.
			request.signal?.throwIfAborted();
			yield { delta: "", finishReason: finishReason ?? "stop", usage };
		},
	};
}
