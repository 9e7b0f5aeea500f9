import type { IncomingMessage } from "node:http";
import proxyAddr from "proxy-addr";
import type { TrustProxy } from "../../shared/config.ts";

/** Whether the hop at `address`, `hop` steps from this server (0 is the socket's peer), is a proxy we trust. */
export type TrustFunction = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as a proxy-addr trust function, exactly as Express compiles `trust proxy`, so the
 * setting means what Express users already know. Compiled once: a range list is parsed here, not
 * on every request.
 */
export function compileTrust(setting: TrustProxy): TrustFunction {
	if (setting === true) return () => true;
	if (setting === false) return () => false;
	if (typeof setting === "number") return (_address, hop) => hop < setting;
	return proxyAddr.compile(setting);
}

type GatewayRequest = IncomingMessage & { $service?: { settings?: { trustProxy?: TrustFunction } } };

/**
 * The caller's address. proxy-addr walks from the socket's peer back through X-Forwarded-For and
 * stops at the first hop that is not a trusted proxy: that hop is the client. Walking from the
 * right matters behind Render, where Cloudflare's edge is appended after the client (`client,
 * edge` from Render's private proxy): the last entry would be the edge, shared by everyone behind
 * it. Entries left of the client are the client's own words and are never read.
 */
export function clientIp(req: GatewayRequest): string {
	const trust = req.$service?.settings?.trustProxy;
	const address = trust ? proxyAddr(req, trust) : req.socket.remoteAddress;
	return address ?? "unknown";
}
