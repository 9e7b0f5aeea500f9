import crypto from "node:crypto";
import { Readable } from "node:stream";
import type { Context, ServiceSchema, ServiceSettingSchema, Service } from "moleculer";
import { platformConfig } from "../../shared/platform.ts";
import { badRequest } from "../../shared/errors.ts";
import type { CallerMeta } from "../../shared/contracts/auth.ts";
import type { ChatMessage, CompleteParams, CompleteResult } from "../../shared/contracts/llm.ts";
import { abortableReadable } from "./abortable-readable.ts";
import { OVERHEAD_HEADER, PROVIDER_TIME_HEADER } from "./timing-headers.ts";
import type { ProviderListing } from "./orchestrator.ts";
import { allProvidersFailed } from "./provider-failure.ts";
import type { StreamChunk } from "./stream-session.ts";
import { modelNameParam } from "../../shared/validation/model-name.ts";

type ContentPart = { type: string; text?: string };

interface ChatCompletionRequest {
	model: string;
	messages: { role: "system" | "developer" | "user" | "assistant"; content: string | ContentPart[] | null }[];
	temperature?: number;
	top_p?: number;
	max_tokens?: number;
	max_completion_tokens?: number;
	stop?: string | string[];
	stream?: boolean;
	stream_options?: { include_usage?: boolean };
	response_format?: { type: "text" | "json_object" | "json_schema" };
	n?: number;
}

/** The request, checked like OpenAI checks it; unknown fields (user, seed, ...) are accepted and ignored. */
const chatCompletionParams = {
	$$strict: false,
	model: modelNameParam,
	messages: {
		type: "array",
		min: 1,
		max: 500,
		items: {
			type: "object",
			props: {
				role: { type: "enum", values: ["system", "developer", "user", "assistant"] },
				content: [{ type: "string", max: 1_000_000 }, { type: "array", max: 100, items: { type: "object", props: { type: { type: "string", max: 64 }, text: { type: "string", optional: true, max: 1_000_000 } } } }, { type: "equal", value: null }],
			},
		},
	},
	temperature: { type: "number", optional: true, min: 0, max: 2 },
	top_p: { type: "number", optional: true, min: 0, max: 1 },
	max_tokens: { type: "number", optional: true, integer: true, positive: true, max: 1_000_000 },
	max_completion_tokens: { type: "number", optional: true, integer: true, positive: true, max: 1_000_000 },
	stop: [{ type: "string", optional: true, max: 200 }, { type: "array", optional: true, items: { type: "string", max: 200 }, max: 4 }],
	stream: { type: "boolean", optional: true },
	stream_options: { type: "object", optional: true, props: { include_usage: { type: "boolean", optional: true } } },
	response_format: { type: "object", optional: true, props: { type: { type: "enum", values: ["text", "json_object", "json_schema"] } } },
	n: { type: "number", optional: true, integer: true, min: 1, max: 1 },
};

function messageText(content: string | ContentPart[] | null): string {
	if (content === null) return "";
	if (typeof content === "string") return content;
	if (content.some(part => part.type !== "text")) throw badRequest("Only text content parts are supported");
	return content.map(part => part.text ?? "").join("");
}

/** OpenAI's request shape -> the platform's. `model` is `provider:model`, an alias, or a model a provider lists. */
function toCompleteParams(request: ChatCompletionRequest): CompleteParams {
	const messages: ChatMessage[] = request.messages.map(m => ({ role: m.role === "developer" ? "system" : m.role, content: messageText(m.content) }));
	const maxTokens = request.max_completion_tokens ?? request.max_tokens;
	const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
	return {
		model: request.model,
		messages,
		params: {
			...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
			...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
			...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
			...(stop && stop.length > 0 ? { stop } : {}),
		},
		...(request.response_format && request.response_format.type !== "text" ? { json: true } : {}),
	};
}

const usageOf = (usage: { inputTokens: number; outputTokens: number }) => ({
	prompt_tokens: usage.inputTokens,
	completion_tokens: usage.outputTokens,
	total_tokens: usage.inputTokens + usage.outputTokens,
});

/** A stream of StreamChunk objects -> OpenAI's `chat.completion.chunk` server-sent events, ending in [DONE]. */
async function* toServerSentEvents(chunks: AsyncIterable<StreamChunk>, model: string, includeUsage: boolean): AsyncGenerator<string> {
	const id = `chatcmpl-${crypto.randomUUID()}`;
	const created = Math.floor(Date.now() / 1000);
	const event = (fields: Record<string, unknown>) => `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, system_fingerprint: null, ...fields })}\n\n`;
	const choice = (delta: Record<string, unknown>, finishReason: string | null) => ({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
	for await (const chunk of chunks) {
		if (chunk.type === "start") yield event(choice({ role: "assistant", content: "" }, null));
		else if (chunk.type === "delta") yield event(choice({ content: chunk.text }, null));
		else if (chunk.type === "end") {
			yield event(choice({}, chunk.finishReason));
			if (includeUsage) yield event({ choices: [], usage: usageOf(chunk.usage) });
		} else {
			// OpenAI's own way to fail mid-stream: its client libraries raise this as an API error.
			yield `data: ${JSON.stringify({ error: { message: chunk.error.message, type: "api_error", param: null, code: chunk.error.type } })}\n\n`;
		}
	}
	yield "data: [DONE]\n\n";
}

interface OpenAiThis extends Service {
	/** `user\nrequestID` -> the SSE stream being relayed, so a gateway on another node can stop it. */
	openStreams: Map<string, Readable>;
}

const streamKey = (userId: string | undefined, requestID: string | null | undefined) => `${userId ?? ""}\n${requestID ?? ""}`;

/**
 * The OpenAI-compatible API (/v1/chat/completions, /v1/models through the gateway's /v1 route), so any
 * OpenAI client library can use every provider, strategy and alias of the platform. It runs beside
 * the llm service and calls it, so limits, budgets, caching and records are the same.
 */
const OpenAiCompatibleService: ServiceSchema<ServiceSettingSchema, Record<string, any>, Record<string, any>, OpenAiThis> = {
	name: "openai",
	settings: { rest: "/" },

	events: {
		/** The gateway's client went away before its answer ended: stop relaying (and the provider) if it is ours. */
		"openai.streamAbandoned"(this: OpenAiThis, ctx: Context<{ userId: string; requestID: string | null }>) {
			this.openStreams.get(streamKey(ctx.params.userId, ctx.params.requestID))?.destroy();
		},
	},

	created(this: OpenAiThis) {
		this.openStreams = new Map();
	},

	actions: {
		chatCompletions: {
			rest: "POST /chat/completions",
			params: chatCompletionParams,
			async handler(this: OpenAiThis, ctx: Context<ChatCompletionRequest, CallerMeta>) {
				const started = performance.now();
				const request = toCompleteParams(ctx.params);
				const overhead = () => {
					const providerMs = Number(ctx.meta.$responseHeaders?.[PROVIDER_TIME_HEADER] ?? 0);
					return { [OVERHEAD_HEADER]: Math.max(0, performance.now() - started - providerMs).toFixed(2) };
				};
				if (ctx.params.stream) {
					const chunks = await ctx.call<Readable, CompleteParams>("llm.stream", request);
					ctx.meta.$responseType = "text/event-stream";
					ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, "Cache-Control": "no-cache", "X-Accel-Buffering": "no", ...overhead() };
					// The client going away (the gateway destroys this stream) reaches the llm stream, and its provider, at once.
					const sse = abortableReadable(toServerSentEvents(chunks, ctx.params.model, ctx.params.stream_options?.include_usage === true), () => chunks.destroy());
					// A gateway on another node cannot destroy it (the bus does not carry that back): it says so with an event.
					const key = streamKey(ctx.meta.user?.id, ctx.requestID);
					this.openStreams.set(key, sse);
					sse.once("close", () => {
						if (this.openStreams.get(key) === sse) this.openStreams.delete(key);
					});
					return sse;
				}
				const result = await ctx.call<CompleteResult, CompleteParams>("llm.complete", request);
				const chosen = result.chosen ? result.results.find(r => r.provider === result.chosen!.provider && r.model === result.chosen!.model) : result.results.find(r => !r.error);
				if (!chosen || chosen.error) throw allProvidersFailed(result.results);
				ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, ...overhead() };
				return {
					id: `chatcmpl-${crypto.randomUUID()}`,
					object: "chat.completion",
					created: Math.floor(Date.now() / 1000),
					model: ctx.params.model,
					choices: [{ index: 0, message: { role: "assistant", content: result.output, refusal: null }, logprobs: null, finish_reason: chosen.finishReason ?? "stop" }],
					usage: usageOf(result.usage),
					system_fingerprint: null,
				};
			},
		},

		/** Every chat model of a configured provider as `provider:model`, and every alias one of whose providers is configured. */
		models: {
			rest: "GET /models",
			async handler(this: OpenAiThis, ctx: Context<unknown, CallerMeta>) {
				const providers = await ctx.call<ProviderListing[]>("llm.providers");
				const created = Math.floor(Date.now() / 1000);
				const usable = providers.filter(p => p.configured && p.chat);
				const models = usable.flatMap(p => p.models.map(model => ({ id: `${p.name}:${model}`, object: "model", created, owned_by: p.name })));
				// An alias is listed when one of its providers can answer (`fast` without any key would only fail).
				const usableNames = new Set(usable.map(p => p.name));
				const aliases = Object.entries(platformConfig(this.broker).llm.aliases)
					.filter(([, alias]) => alias.providers.some(entry => usableNames.has(entry.split(":")[0])))
					.map(([id]) => ({ id, object: "model", created, owned_by: "alias" }));
				return { object: "list", data: [...models, ...aliases] };
			},
		},
	},
};

export default OpenAiCompatibleService;
