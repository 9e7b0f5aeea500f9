import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Service } from "moleculer";
import { parseCookie } from "cookie";
import type { PlatformConfig } from "../../../shared/config.ts";
import { REFRESH_COOKIE } from "../../../shared/contracts/auth.ts";
import { invalidInput } from "../../../shared/errors.ts";
import { gateUploads } from "../../../shared/upload-gate.middleware.ts";
import { clientIp } from "../client-ip.ts";
import { guardParams } from "../param-guards.ts";
import { SharedRateLimitStore } from "../rate-limit/rate-limit-store.ts";

/** The gateway, as its routes' hooks see it: moleculer-web's error answer is one of its methods. */
type GatewayService = Service & { sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void };

/**
 * Per-IP request limit, counted across every node through Redis when REDIS_URL is set. Sign-in
 * has its own stricter throttle in the auth service.
 */
export const API_RATE_LIMIT = { window: 60_000, limit: 1200, headers: true, StoreFactory: SharedRateLimitStore, key: (req: IncomingMessage) => clientIp(req) };

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
		busboyConfig: {
			limits: { files: 1, fileSize: config.maxUploadBytes, fields: 20, parts: 25, fieldSize: 64 * 1024 },
			// busboy would skip a second file silently; the client must hear that it was not taken.
			onFilesLimit(busboy: { emit(event: string, err: Error): void }) {
				busboy.emit("error", invalidInput("Send exactly one file per upload, in the form field `file`"));
			},
		},
		callOptions: { timeout: 60_000 },
		rateLimit: { ...API_RATE_LIMIT, name: "rest-api" },
		onBeforeCall(this: GatewayService, ctx: Context<unknown, Record<string, unknown>>, _route: unknown, req: IncomingMessage & { $params?: unknown }, res: ServerResponse, alias?: { type?: string }) {
			guardParams(req.$params);
			// An upload is taken only once the whole request has arrived cleanly (a second file refuses it all),
			// and let go of at once when it breaks off or goes silent.
			if (alias?.type === "multipart") {
				gateUploads(ctx, req, res, { idleTimeoutMs: config.uploadIdleTimeoutMs, answer: err => this.sendError(req, res, err) });
			}
			ctx.meta.ip = clientIp(req);
			ctx.meta.userAgent = req.headers["user-agent"] ?? null;
			// The web console keeps its refresh token in an httpOnly cookie (docs/auth.md). Only that one
			// cookie, and only for the console, goes into meta, which travels with every nested call.
			ctx.meta.console = req.headers["x-console"] === "1";
			if (ctx.meta.console && req.headers.cookie) {
				const token = parseCookie(req.headers.cookie)[REFRESH_COOKIE];
				if (token) ctx.meta.refreshCookie = token;
			}
		},
	};
}
