import { stringifySetCookie } from "cookie";
import { REFRESH_COOKIE } from "../../shared/contracts/auth.ts";

/**
 * Script cannot read it (HttpOnly), it goes only over HTTPS (browsers treat http://localhost and
 * 127.0.0.1 as secure too), only to the auth routes, and never with a request another site started.
 */
const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: "strict", path: "/api/v1/auth" } as const;

/** The Set-Cookie value that hands the web console its refresh token. */
export function refreshCookie(token: string, maxAgeSeconds: number): string {
	return stringifySetCookie({ name: REFRESH_COOKIE, value: token, maxAge: maxAgeSeconds, ...ATTRIBUTES });
}

/** The Set-Cookie value that makes the browser forget it (same name, path and attributes, Max-Age=0). */
export function clearedRefreshCookie(): string {
	return stringifySetCookie({ name: REFRESH_COOKIE, value: "", maxAge: 0, ...ATTRIBUTES });
}
