/**
 * Who is calling. The gateway puts it in `ctx.meta.user` after `auth.authenticate`; Moleculer
 * carries meta along every nested call, so every service filters its queries by `ctx.meta.user.id`.
 */
export interface AuthenticatedUser {
	id: string;
	email: string;
	role: "user" | "admin";
	via: "access-token" | "api-key";
}

/** The httpOnly cookie the web console's refresh token lives in: set by the auth service, read by the gateway. */
export const REFRESH_COOKIE = "refresh_token";

export interface CallerMeta {
	user?: AuthenticatedUser | null;
	ip?: string;
	userAgent?: string | null;
	/** The request carried `X-Console: 1`: the web console, whose refresh token travels in a cookie, never in JSON. */
	console?: boolean;
	/** The `refresh_token` cookie's value, passed by the gateway for console requests only (no other cookie). */
	refreshCookie?: string;
	/** Set by an action to change the HTTP status moleculer-web answers with (e.g. 201, 202, 204). */
	$statusCode?: number;
	$responseHeaders?: Record<string, string>;
	$responseType?: string;
}
