import { Errors } from "moleculer";
import type { ProviderResult } from "../../shared/contracts/llm.ts";
import { tooManyRequests } from "../../shared/errors.ts";

/**
 * One HTTP error for a request none of whose providers answered, for endpoints that must answer with
 * a status (the OpenAI-compatible one, streams). The status follows what went wrong: all rate limited
 * is 429, all timed out is 504, all refused as unusable (unsupported, not configured) is 400,
 * anything else is 502.
 */
export function allProvidersFailed(results: Pick<ProviderResult, "provider" | "model" | "error">[]): Errors.MoleculerError {
	const errors = results.map(r => r.error!).filter(Boolean);
	const message = errors.length > 0 ? results.map(r => `${r.provider}:${r.model}: ${r.error?.message}`).join("; ") : "no provider answered";
	const all = (...types: string[]) => errors.length > 0 && errors.every(e => types.includes(e.type));
	if (all("rate_limited")) return tooManyRequests(message);
	if (all("timeout")) return new Errors.MoleculerError(message, 504, "PROVIDER_TIMEOUT");
	if (all("unsupported", "not_configured", "client_error")) return new Errors.MoleculerClientError(message, 400, "PROVIDER_REFUSED");
	return new Errors.MoleculerError(message, 502, "PROVIDER_ERROR");
}
