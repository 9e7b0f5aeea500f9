import { startFakeServer, streamPieces, type FakeProvider, type ResolvedAnswer, type WireFormat } from "./fake-server.ts";

type AnthropicContent = string | { type: string; text?: string }[];

const contentText = (content: AnthropicContent | undefined): string =>
	typeof content === "string" ? content : (content ?? []).map(block => block.text ?? "").join("");

const ERROR_TYPES: Record<number, string> = {
	400: "invalid_request_error",
	401: "authentication_error",
	403: "permission_error",
	404: "not_found_error",
	413: "request_too_large",
	429: "rate_limit_error",
	529: "overloaded_error",
};

const stopReason = (answer: ResolvedAnswer) => (answer.finishReason === "length" ? "max_tokens" : "end_turn");

const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Anthropic's Messages API: POST /v1/messages, JSON or its named SSE events. */
const anthropicFormat: WireFormat = {
	name: "anthropic",
	basePath: "",
	route: req => (req.method === "POST" && req.path === "/v1/messages" ? "complete" : req.method === "GET" && req.path === "/v1/models" ? "models" : undefined),
	// The API takes x-api-key; newer SDKs send the key as a bearer token instead.
	authenticated: headers => (typeof headers["x-api-key"] === "string" && headers["x-api-key"] !== "") || /^Bearer \S+$/.test(headers.authorization ?? ""),
	modelOf: req => req.body?.model,
	wantsStream: req => req.body?.stream === true,
	promptText: body =>
		[contentText(body?.system), ...(body?.messages ?? []).map((m: { content: AnthropicContent }) => contentText(m.content))].filter(Boolean).join("\n"),
	lastUserText: body => contentText([...(body?.messages ?? [])].reverse().find((m: { role: string }) => m.role === "user")?.content),
	completion: answer => ({
		id: answer.id,
		type: "message",
		role: "assistant",
		model: answer.model,
		content: [{ type: "text", text: answer.text }],
		stop_reason: stopReason(answer),
		stop_sequence: null,
		usage: { input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens },
	}),
	streamFrames: answer => [
		event("message_start", {
			message: {
				id: answer.id,
				type: "message",
				role: "assistant",
				model: answer.model,
				content: [],
				stop_reason: null,
				stop_sequence: null,
				usage: { input_tokens: answer.usage.inputTokens, output_tokens: 1 },
			},
		}),
		event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
		event("ping", {}),
		...streamPieces(answer.text).map(text => event("content_block_delta", { index: 0, delta: { type: "text_delta", text } })),
		event("content_block_stop", { index: 0 }),
		event("message_delta", { delta: { stop_reason: stopReason(answer), stop_sequence: null }, usage: { output_tokens: answer.usage.outputTokens } }),
		event("message_stop", {}),
	],
	errorBody: (status, message) => ({ type: "error", error: { type: ERROR_TYPES[status] ?? "api_error", message } }),
	models: models => ({ data: models.map(id => ({ type: "model", id, display_name: id, created_at: "2024-10-22T00:00:00Z" })), has_more: false }),
};

/** A fake Anthropic API; `url` is what ANTHROPIC_BASE_URL takes (the SDK appends /v1/messages). */
export function startFakeAnthropic(options: { models?: string[] } = {}): Promise<FakeProvider> {
	return startFakeServer(anthropicFormat, { models: options.models ?? ["claude-3-5-haiku-latest"] });
}
