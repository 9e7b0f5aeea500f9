import { ProviderError } from "./provider.ts";

interface HttpLikeError {
	name?: string;
	message?: string;
	status?: number;
	headers?: { get(name: string): string | null } | Record<string, string>;
	cause?: unknown;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

function header(headers: HttpLikeError["headers"], name: string): string | undefined {
	if (!headers) return undefined;
	const value = typeof (headers as Headers).get === "function" ? (headers as Headers).get(name) : (headers as Record<string, string>)[name];
	return value ?? undefined;
}

/** Retry-After as seconds or an HTTP date; OpenAI also sends retry-after-ms. */
export function retryAfterMs(headers: HttpLikeError["headers"]): number | undefined {
	const ms = Number(header(headers, "retry-after-ms"));
	if (Number.isFinite(ms) && ms >= 0 && header(headers, "retry-after-ms") !== undefined) return ms;
	const raw = header(headers, "retry-after");
	if (raw === undefined) return undefined;
	const seconds = Number(raw);
	if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
	const date = Date.parse(raw);
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function causeCode(err: unknown): string | undefined {
	let current = err as { code?: unknown; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (typeof current.code === "string") return current.code;
		current = current.cause as typeof current;
	}
	return undefined;
}

/** Gemini puts its wait in the body (google.rpc.RetryInfo `retryDelay: "2s"`), which its SDK keeps in the message. */
function retryDelayInBody(message: string): number | undefined {
	const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(message);
	return match ? Number(match[1]) * 1000 : undefined;
}

/**
 * Turns whatever an SDK threw into a classified ProviderError. `timedOut` and `aborted` come from the
 * caller's signals: an SDK only knows it was aborted, not why.
 */
export function toProviderError(provider: string, err: unknown, why: { timedOut: boolean; aborted: boolean }): ProviderError {
	if (err instanceof ProviderError) return err;
	const e = (err ?? {}) as HttpLikeError;
	const message = typeof e.message === "string" && e.message ? e.message : String(err);
	if (why.timedOut) return new ProviderError(provider, "timeout", `${provider} did not answer in time`, { cause: err });
	if (why.aborted) return new ProviderError(provider, "aborted", `${provider} call was cancelled`, { cause: err });
	const status = typeof e.status === "number" ? e.status : undefined;
	if (status !== undefined) {
		const options = { status, cause: err, retryAfterMs: retryAfterMs(e.headers) ?? retryDelayInBody(message) };
		if (status === 429) return new ProviderError(provider, "rate_limited", `${provider} is rate limiting (429)`, options);
		if (status === 408) return new ProviderError(provider, "timeout", `${provider} timed out (408)`, options);
		if (status >= 500) return new ProviderError(provider, "server_error", `${provider} failed (${status})`, options);
		return new ProviderError(provider, "client_error", `${provider} refused the request (${status}): ${message.slice(0, 300)}`, options);
	}
	if (/timeout|timed out/i.test(e.name ?? "") || /timed out/i.test(message)) return new ProviderError(provider, "timeout", `${provider} did not answer in time`, { cause: err });
	const code = causeCode(err);
	if ((code && NETWORK_CODES.has(code)) || /APIConnectionError|FetchError/.test(e.name ?? "") || /fetch failed|network|socket/i.test(message)) {
		return new ProviderError(provider, "network", `${provider} is not reachable`, { cause: err });
	}
	return new ProviderError(provider, "server_error", `${provider} gave an unusable answer: ${message.slice(0, 300)}`, { cause: err });
}
