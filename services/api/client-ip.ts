import type { IncomingMessage } from "node:http";

/**
 * The caller's address. Behind a proxy (Render, a load balancer) the nearest proxy appends the
 * real peer to X-Forwarded-For, so the last entry is the one a client cannot forge.
 */
export function clientIp(req: IncomingMessage): string {
	const forwarded = req.headers["x-forwarded-for"];
	const list = (Array.isArray(forwarded) ? forwarded.join(",") : forwarded ?? "").split(",").map(s => s.trim()).filter(Boolean);
	return list.at(-1) ?? req.socket.remoteAddress ?? "unknown";
}
