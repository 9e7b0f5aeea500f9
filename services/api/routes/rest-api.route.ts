import type { IncomingMessage } from "node:http";
import type { Context } from "moleculer";
import type { PlatformConfig } from "../../../shared/config.ts";
import { clientIp } from "../client-ip.ts";

/** Per-IP request limit for the whole REST API; login has its own stricter throttle in the auth service. */
export const API_RATE_LIMIT = { window: 60_000, limit: 1200 };

/**
 * /api/v1: every action that declares `rest` in the auth, documents, llm and optimizer services,
 * authenticated unless the action says `auth: "public"`.
 */
export function restApiRoute(config: PlatformConfig) {
	return {
		name: "rest-api",
		path: "/api/v1",
		whitelist: ["auth.*", "documents.*", "analyses.*", "llm.*", "optimizer.*"],
		autoAliases: true,
		mappingPolicy: "restrict",
		authentication: true,
		authorization: true,
		bodyParsers: { json: { strict: true, limit: "1mb" }, urlencoded: false },
		// One file per upload request; busboy stops the stream at the size limit so nothing larger is read.
		busboyConfig: { limits: { files: 1, fileSize: config.maxUploadBytes, fields: 20, parts: 25, fieldSize: 64 * 1024 } },
		callOptions: { timeout: 60_000 },
		rateLimit: { ...API_RATE_LIMIT, headers: true, key: (req: IncomingMessage) => clientIp(req) },
		onBeforeCall(ctx: Context<unknown, Record<string, unknown>>, _route: unknown, req: IncomingMessage) {
			ctx.meta.ip = clientIp(req);
			ctx.meta.userAgent = req.headers["user-agent"] ?? null;
		},
	};
}
