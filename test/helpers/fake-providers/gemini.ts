import { startFakeServer, streamPieces, type FakeProvider, type ResolvedAnswer, type WireFormat } from "./fake-server.ts";

interface GeminiContent {
	role?: string;
	parts?: { text?: string }[];
}

const partsText = (content: GeminiContent | undefined): string => (content?.parts ?? []).map(part => part.text ?? "").join("");

const STATUS_NAMES: Record<number, string> = {
	400: "INVALID_ARGUMENT",
	401: "UNAUTHENTICATED",
	403: "PERMISSION_DENIED",
	404: "NOT_FOUND",
	429: "RESOURCE_EXHAUSTED",
	500: "INTERNAL",
	503: "UNAVAILABLE",
	504: "DEADLINE_EXCEEDED",
};

/** Both API versions Google serves (v1beta, v1); the SDK picks one by its settings. */
const PATH = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

const usageMetadata = (answer: ResolvedAnswer) => ({
	promptTokenCount: answer.usage.inputTokens,
	candidatesTokenCount: answer.usage.outputTokens,
	totalTokenCount: answer.usage.inputTokens + answer.usage.outputTokens,
});

const candidate = (text: string, finishReason?: string) => ({ content: { role: "model", parts: [{ text }] }, index: 0, ...(finishReason ? { finishReason } : {}) });

const finishReason = (answer: ResolvedAnswer) => (answer.finishReason === "length" ? "MAX_TOKENS" : "STOP");

/** Google's Gemini API: generateContent (JSON) and streamGenerateContent?alt=sse. */
const geminiFormat: WireFormat = {
	name: "gemini",
	basePath: "",
	route: req => (req.method === "POST" && PATH.test(req.path) ? "complete" : req.method === "GET" && /^\/v1(beta)?\/models$/.test(req.path) ? "models" : undefined),
	authenticated: (headers, query) => (typeof headers["x-goog-api-key"] === "string" && headers["x-goog-api-key"] !== "") || Boolean(query.get("key")),
	modelOf: req => PATH.exec(req.path)?.[1],
	wantsStream: req => PATH.exec(req.path)?.[2] === "streamGenerateContent",
	promptText: body => [partsText(body?.systemInstruction), ...(body?.contents ?? []).map(partsText)].filter(Boolean).join("\n"),
	lastUserText: body => partsText([...(body?.contents ?? [])].reverse().find((c: GeminiContent) => (c.role ?? "user") === "user")),
	completion: answer => ({
		candidates: [candidate(answer.text, finishReason(answer))],
		usageMetadata: usageMetadata(answer),
		modelVersion: answer.model,
		responseId: answer.id,
	}),
	streamFrames(answer) {
		const pieces = streamPieces(answer.text);
		return pieces.map((piece, i) => {
			const last = i === pieces.length - 1;
			const chunk = {
				candidates: [candidate(piece, last ? finishReason(answer) : undefined)],
				...(last ? { usageMetadata: usageMetadata(answer) } : {}),
				modelVersion: answer.model,
				responseId: answer.id,
			};
			return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
		});
	},
	errorBody: (status, message, retryAfter) => ({
		error: {
			code: status,
			message,
			status: STATUS_NAMES[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"),
			...(retryAfter !== undefined ? { details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfter}s` }] } : {}),
		},
	}),
	models: models => ({ models: models.map(id => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ["generateContent"] })) }),
};

/** A fake Gemini API; `url` is what GEMINI_BASE_URL takes (the SDK appends /v1beta/models/... or /v1/models/...). */
export function startFakeGemini(options: { models?: string[] } = {}): Promise<FakeProvider> {
	return startFakeServer(geminiFormat, { models: options.models ?? ["gemini-2.0-flash"] });
}
