import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Everything under these paths is someone's: tokens, API keys, the profile, documents, analyses,
 * usage and spending. A shared cache (a CDN, a corporate proxy) or the browser's disk must keep none
 * of it, so every answer there, errors included, says `Cache-Control: no-store`.
 */
const PRIVATE_PATHS = ["/api/v1", "/v1"];

function isPrivate(url: string): boolean {
	const path = url.split("?", 1)[0];
	return PRIVATE_PATHS.some(prefix => path === prefix || path.startsWith(prefix + "/"));
}

/**
 * Gateway middleware (moleculer-web's `use`): sets no-store before any route code runs, and checks
 * again as the head is written, since actions set their own headers late (`$responseHeaders`, e.g.
 * `no-cache` on event streams, which still lets a cache store the body). Only an answer that says
 * `public` outright keeps its own Cache-Control.
 */
export function noStorePrivateAnswers(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: (err?: unknown) => void): void {
	if (isPrivate(req.originalUrl ?? req.url ?? "")) {
		res.setHeader("Cache-Control", "no-store");
		const writeHead = res.writeHead;
		res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
			if (!/(^|,)\s*public\s*(,|$)/i.test(String(this.getHeader("Cache-Control") ?? ""))) this.setHeader("Cache-Control", "no-store");
			return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
		} as ServerResponse["writeHead"];
	}
	next();
}
