import type { GoogleGenAI, GenerateContentParameters, GenerateContentResponse } from "@google/genai";
import type { Provider, ProviderRequest } from "../provider.ts";
import { systemText, turns } from "../conversation.ts";
import { sdkClients } from "../sdk-clients.ts";

const client = sdkClients<GoogleGenAI>(async (endpoint, timeoutMs) => {
	const { GoogleGenAI: GenAIClient } = await import("@google/genai");
	// No retryOptions: the SDK then makes one attempt, and the orchestrator decides about retries.
	return new GenAIClient({ apiKey: endpoint.apiKey, httpOptions: { ...(endpoint.baseUrl ? { baseUrl: endpoint.baseUrl } : {}), timeout: timeoutMs } });
});

function parameters(request: ProviderRequest): GenerateContentParameters {
	const system = systemText(request);
	const { temperature, top_p, max_tokens, stop } = request.params;
	return {
		model: request.model,
		contents: turns(request).map(turn => ({ role: turn.role === "assistant" ? "model" : "user", parts: [{ text: turn.content }] })),
		config: {
			...(system ? { systemInstruction: system } : {}),
			...(temperature !== undefined ? { temperature } : {}),
			...(top_p !== undefined ? { topP: top_p } : {}),
			...(max_tokens !== undefined ? { maxOutputTokens: max_tokens } : {}),
			...(stop && stop.length > 0 ? { stopSequences: stop } : {}),
			...(request.json ? { responseMimeType: "application/json" } : {}),
			...(request.signal ? { abortSignal: request.signal } : {}),
		},
	};
}

const FINISH_REASONS: Record<string, string> = { STOP: "stop", MAX_TOKENS: "length", SAFETY: "content_filter", RECITATION: "content_filter", PROHIBITED_CONTENT: "content_filter", BLOCKLIST: "content_filter" };

const finishReason = (response: GenerateContentResponse): string | undefined => {
	const reason = response.candidates?.[0]?.finishReason;
	return reason ? (FINISH_REASONS[reason] ?? reason.toLowerCase()) : undefined;
};

const usage = (response: GenerateContentResponse) => ({
	inputTokens: response.usageMetadata?.promptTokenCount ?? 0,
	outputTokens: response.usageMetadata?.candidatesTokenCount ?? 0,
});

/** Google Gemini through @google/genai (GEMINI_API_KEY, GEMINI_BASE_URL). */
export const geminiProvider: Provider = {
	name: "gemini",
	supportsChat: true,
	priceSource: "google",
	defaultModel: () => "gemini-2.0-flash",
	/** The models listed to clients (/v1/models); any other model the catalog prices works too. */
	models: () => ["gemini-2.0-flash", "gemini-2.0-flash-lite", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"],
	isConfigured: config => Boolean(config.providers.gemini.apiKey),

	async complete(request, config) {
		const ai = await client(config.providers.gemini, config.llm.timeoutMs);
		const response = await ai.models.generateContent(parameters(request));
		return { text: response.text ?? "", finishReason: finishReason(response) ?? "stop", usage: usage(response), model: response.modelVersion || request.model };
	},

	async *stream(request, config) {
		const ai = await client(config.providers.gemini, config.llm.timeoutMs);
		let last: GenerateContentResponse | undefined;
		let reason: string | undefined;
		for await (const chunk of await ai.models.generateContentStream(parameters(request))) {
			last = chunk;
			reason = finishReason(chunk) ?? reason;
			const text = chunk.text;
			if (text) yield { delta: text };
		}
		// An aborted SDK stream may simply end; it must not pass for a complete answer.
		request.signal?.throwIfAborted();
		yield { delta: "", finishReason: reason ?? "stop", usage: last ? usage(last) : undefined };
	},
};
