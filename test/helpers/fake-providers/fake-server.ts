import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as the fake provider received it. */
export interface FakeRequest {
	method: string;
	/** Path without the query string. */
	path: string;
	query: URLSearchParams;
	headers: IncomingHttpHeaders;
	/** Parsed JSON body (undefined for GET). */
	body: any;
	/** Whether the client asked for a streamed (SSE) answer. */
	stream: boolean;
	/** The model the request names. */
	model?: string;
}

/** What the fake answers to one request. Omitted fields get a deterministic default. */
export interface FakeReply {
	/** The reply text; default `[<provider>] <last user message>`. */
	text?: string;
	usage?: { inputTokens: number; outputTokens: number };
	finishReason?: "stop" | "length";
	/** Answer with this HTTP error status (400..599) in the provider's own error shape. */
	status?: number;
	message?: string;
	/** Seconds, sent as Retry-After with an error status. */
	retryAfter?: number;
	/** Wait this long before answering (before the first byte). */
	delayMs?: number;
	/** Never answer: the client must time out or abort. */
	hang?: boolean;
	/** Streamed answers: wait this long after each chunk (or after chunk i, as a function of i). */
	chunkDelayMs?: number | ((index: number) => number);
}

/** A reply, or a function of the request that makes one. */
export type ScriptStep = FakeReply | ((req: FakeRequest) => FakeReply | Promise<FakeReply>);

export interface FakeProvider {
	name: string;
	/** The base URL to give the provider's SDK (what its *_BASE_URL setting takes). */
	url: string;
	/** Every request received, oldest first (including those still waiting to be answered). */
	requests: FakeRequest[];
	/**
	 * Scripts the next answers: each request takes the next step; the last step repeats.
	 * `script()` with no steps returns to the default reply.
	 */
	script(...steps: ScriptStep[]): void;
	/** Forgets the request log and the script. */
	reset(): void;
	close(): Promise<void>;
}

/** Everything the generic server needs to know about one provider's HTTP API. */
export interface WireFormat {
	name: string;
	/** Prefix of every path, appended to the server's origin to make `url`. */
	basePath: string;
	/** Which endpoint a request is for; undefined answers 404. */
	route(req: FakeRequest): "complete" | "models" | undefined;
	authenticated(headers: IncomingHttpHeaders, query: URLSearchParams): boolean;
	modelOf(req: FakeRequest): string | undefined;
	wantsStream(req: FakeRequest): boolean;
	/** All message text of the request, for default token counts. */
	promptText(body: any): string;
	lastUserText(body: any): string;
	completion(answer: ResolvedAnswer): unknown;
	/** SSE `data:`/`event:` frames, each a complete `...\n\n` block. */
	streamFrames(answer: ResolvedAnswer): string[];
	errorBody(status: number, message: string, retryAfter?: number): unknown;
	models(models: string[]): unknown;
}

export interface ResolvedAnswer {
	text: string;
	model: string;
	finishReason: "stop" | "length";
	usage: { inputTokens: number; outputTokens: number };
	/** A unique id for the response. */
	id: string;
	request: FakeRequest;
}

/** About four characters a token, like the providers' own rough estimate. */
export const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** Splits text into streamed pieces the way providers do: a few characters at a time, nothing lost. */
export function streamPieces(text: string): string[] {
	const pieces = text.match(/\S+\s*|\s+/g) ?? [];
	return pieces.length > 0 ? pieces : [""];
}

async function readJson(req: IncomingMessage): Promise<any> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const raw = Buffer.concat(chunks).toString("utf8");
	if (!raw) return undefined;
	try {
		return JSON.parse(raw);
	} catch {
		return { $invalidJson: raw };
	}
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * A real HTTP server on 127.0.0.1, port 0, answering in one provider's wire format, so the real SDK
 * is exercised end to end (request mapping, SSE parsing, error classes, Retry-After headers).
 */
export async function startFakeServer(format: WireFormat, options: { models?: string[] } = {}): Promise<FakeProvider> {
	const requests: FakeRequest[] = [];
	let steps: ScriptStep[] = [];
	let served = 0;
	let sequence = 0;
	const sockets = new Set<Socket>();

	const nextStep = (): ScriptStep => {
		if (steps.length === 0) return {};
		const step = steps[Math.min(served, steps.length - 1)];
		served++;
		return step;
	};

	const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
		res.writeHead(status, { "content-type": "application/json", ...headers });
		res.end(JSON.stringify(body));
	};

	const handle = async (req: IncomingMessage, res: ServerResponse) => {
		const parsedUrl = new URL(req.url ?? "/", "http://fake");
		const body = req.method === "GET" ? undefined : await readJson(req);
		const request: FakeRequest = { method: req.method ?? "GET", path: parsedUrl.pathname, query: parsedUrl.searchParams, headers: req.headers, body, stream: false };
		request.model = format.modelOf(request);
		request.stream = format.wantsStream(request);
		const endpoint = format.route(request);
		if (!endpoint) return sendJson(res, 404, format.errorBody(404, `no route ${request.method} ${request.path}`));
		if (!format.authenticated(req.headers, parsedUrl.searchParams)) return sendJson(res, 401, format.errorBody(401, "missing or invalid API key"));
		if (endpoint === "models") return sendJson(res, 200, format.models(options.models ?? []));
		requests.push(request);

		const step = nextStep();
		const reply = typeof step === "function" ? await step(request) : step;
		if (reply.hang) return; // the socket stays open until the client gives up or close() destroys it
		if (reply.delayMs) await sleep(reply.delayMs);
		if (res.destroyed) return;
		if (reply.status && reply.status >= 400) {
			const headers: Record<string, string> = reply.retryAfter !== undefined ? { "retry-after": String(reply.retryAfter) } : {};
			return sendJson(res, reply.status, format.errorBody(reply.status, reply.message ?? `injected ${reply.status}`, reply.retryAfter), headers);
		}
		const text = reply.text ?? `[fake-${format.name}] ${format.lastUserText(body)}`;
		const answer: ResolvedAnswer = {
			text,
			model: request.model ?? "unknown",
			finishReason: reply.finishReason ?? "stop",
			usage: reply.usage ?? { inputTokens: estimateTokens(format.promptText(body)), outputTokens: estimateTokens(text) },
			id: `fake-${format.name}-${++sequence}`,
			request,
		};
		if (!request.stream) return sendJson(res, 200, format.completion(answer));
		res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
		for (const [index, frame] of format.streamFrames(answer).entries()) {
			if (res.destroyed) return;
			res.write(frame);
			const delay = typeof reply.chunkDelayMs === "function" ? reply.chunkDelayMs(index) : reply.chunkDelayMs;
			if (delay) await sleep(delay);
		}
		res.end();
	};

	const server = http.createServer((req, res) => {
		handle(req, res).catch(err => {
			if (!res.headersSent) sendJson(res, 500, format.errorBody(500, `fake server failed: ${(err as Error).message}`));
			else res.destroy();
		});
	});
	server.on("connection", socket => {
		sockets.add(socket);
		socket.once("close", () => sockets.delete(socket));
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;

	return {
		name: format.name,
		url: `http://127.0.0.1:${port}${format.basePath}`,
		requests,
		script(...next: ScriptStep[]) {
			steps = next;
			served = 0;
		},
		reset() {
			requests.length = 0;
			steps = [];
			served = 0;
		},
		async close() {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}
