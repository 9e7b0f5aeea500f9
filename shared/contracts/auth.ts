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

export interface CallerMeta {
	user?: AuthenticatedUser | null;
	ip?: string;
	userAgent?: string | null;
	/** Set by an action to change the HTTP status moleculer-web answers with (e.g. 201, 202, 204). */
	$statusCode?: number;
	$responseHeaders?: Record<string, string>;
	$responseType?: string;
}
