import { startFakeServer, streamPieces, type FakeProvider, type ResolvedAnswer, type WireFormat } from "./fake-server.ts";

type OpenAiContent = string | { type: string; text?: string }[] | null;

const contentText = (content: OpenAiContent): string =>
	typeof content === "string" ? content : (content ?? []).map(part => part.text ?? "").join("");

const ERROR_TYPES: Record<number, string> = { 400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error", 429: "requests" };

/** OpenAI's chat completions API: POST /v1/chat/completions (JSON or SSE chunks) and GET /v1/models. */
function openAiFormat(name: string): WireFormat {
	const created = () => Math.floor(Date.now() / 1000);
	const chunk = (answer: ResolvedAnswer, fields: Record<string, unknown>) =>
		`data: ${JSON.stringify({ id: answer.id, object: "chat.completion.chunk", created: created(), model: answer.model, system_fingerprint: null, ...fields })}\n\n`;
	const usage = (answer: ResolvedAnswer) => ({
		prompt_tokens: answer.usage.inputTokens,
		completion_tokens: answer.usage.outputTokens,
		total_tokens: answer.usage.inputTokens + answer.usage.outputTokens,
	});
	return {
		name,
		basePath: "/v1",
		route(req) {
			if (req.method === "POST" && req.path === "/v1/chat/completions") return "complete";
			if (req.method === "GET" && req.path === "/v1/models") return "models";
			return undefined;
		},
		authenticated: headers => /^Bearer \S+$/.test(headers.authorization ?? ""),
		modelOf: req => req.body?.model,
		wantsStream: req => req.body?.stream === true,
		promptText: body => (body?.messages ?? []).map((m: { content: OpenAiContent }) => contentText(m.content)).join("\n"),
		lastUserText: body => contentText(([...(body?.messages ?? [])].reverse().find((m: { role: string }) => m.role === "user") ?? { content: "" }).content),
		completion: answer => ({
			id: answer.id,
			object: "chat.completion",
			created: created(),
			model: answer.model,
			choices: [{ index: 0, message: { role: "assistant", content: answer.text, refusal: null }, logprobs: null, finish_reason: answer.finishReason }],
			usage: usage(answer),
			system_fingerprint: null,
		}),
		streamFrames(answer) {
			const wantsUsage = answer.request.body?.stream_options?.include_usage === true;
			const frames = [chunk(answer, { choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] })];
			for (const piece of streamPieces(answer.text)) {
				frames.push(chunk(answer, { choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }] }));
			}
			frames.push(chunk(answer, { choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: answer.finishReason }] }));
			if (wantsUsage) frames.push(chunk(answer, { choices: [], usage: usage(answer) }));
			frames.push("data: [DONE]\n\n");
			return frames;
		},
		errorBody: (status, message) => ({
			error: { message, type: ERROR_TYPES[status] ?? (status >= 500 ? "server_error" : "invalid_request_error"), param: null, code: status === 429 ? "rate_limit_exceeded" : null },
		}),
		models: models => ({ object: "list", data: models.map(id => ({ id, object: "model", created: 1_700_000_000, owned_by: name })) }),
	};
}

/** A fake OpenAI (or OpenAI-compatible server: Ollama, vLLM, LM Studio); `url` ends in /v1 like OPENAI_BASE_URL. */
export function startFakeOpenAI(options: { name?: string; models?: string[] } = {}): Promise<FakeProvider> {
	return startFakeServer(openAiFormat(options.name ?? "openai"), { models: options.models ?? ["gpt-4o-mini", "gpt-4o"] });
}
