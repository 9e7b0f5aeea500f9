import type { IncomingMessage } from "node:http";

type GatewayRequest = IncomingMessage & { $service?: { settings?: { trustProxy?: boolean } } };

/**
 * The caller's address. Behind a proxy (Render, a load balancer; TRUST_PROXY=true) the nearest
 * proxy appends the real peer to X-Forwarded-For, so the last entry is the one a client cannot
 * forge. Without a proxy the header is the client's own words, so only the socket counts.
 */
export function clientIp(req: GatewayRequest): string {
	const socketAddress = req.socket.remoteAddress ?? "unknown";
	if (!req.$service?.settings?.trustProxy) return socketAddress;
	const forwarded = req.headers["x-forwarded-for"];
	const list = (Array.isArray(forwarded) ? forwarded.join(",") : forwarded ?? "").split(",").map(s => s.trim()).filter(Boolean);
	return list.at(-1) ?? socketAddress;
}
