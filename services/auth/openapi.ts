import type { ActionOpenApi } from "../api/openapi/action-docs.ts";

const tags = ["auth"];

const user = { id: "6b1f0c9e-2f4a-4c55-9a3e-1d2b3c4d5e6f", email: "ada@example.com", name: "Ada", role: "user", createdAt: "2025-01-31T09:30:00.000Z" };
const signIn = { user, accessToken: "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9…", refreshToken: "drt_Jx3…", expiresIn: 900 };
const apiKey = { id: "0d5e2a7c-8b1f-4e3a-9c6d-7f8e9a0b1c2d", name: "CI pipeline", prefix: "dak_Q2x9LmZa", createdAt: "2025-01-31T09:31:00.000Z", lastUsedAt: null };

const session = {
	id: "3c9d1e2f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
	device: "Firefox on Windows",
	userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	ip: "203.0.113.7",
	createdAt: "2025-01-31T09:30:00.000Z",
	lastUsedAt: "2025-02-03T17:12:00.000Z",
	current: true,
};
const signOutFailed = {
	description: "The sign-out could not be recorded; nothing changed, try again",
	example: { error: { type: "SERVICE_UNAVAILABLE", message: "Could not sign out right now: the sign-in stays valid; try again shortly", code: 503 } },
};

const CONSOLE_COOKIE =
	"With the header `X-Console: 1` (the web console) `refreshToken` is left out of the body and set as the cookie " +
	"`refresh_token` (HttpOnly, Secure, SameSite=Strict, Path=/api/v1/auth, Max-Age 30 days) instead.";

/** What /api/openapi.json says about the auth routes (docs/auth.md has the whole story). */
export const OPENAPI: Record<string, ActionOpenApi> = {
	register: {
		tags,
		summary: "Create an account and sign it in",
		description:
			"Passwords are 12 to 256 characters; ones zxcvbn finds easy to guess (common passwords, keyboard walks, sequences, " +
			"repeats, dates), ones containing the email and ones of fewer than three different characters are refused with 422 " +
			"saying why. A taken email is answered after the same work as a free one. One address may try 20 sign-ups an hour " +
			`(AUTH_REGISTRATIONS_PER_HOUR). ${CONSOLE_COOKIE}`,
		requestExample: { email: "ada@example.com", password: "a long passphrase of yours", name: "Ada" },
		responses: {
			"201": { description: "The account, signed in: a 15-minute access token and a 30-day refresh token", example: signIn },
			"409": { description: "An account with this email already exists" },
			"422": {
				description: "Invalid email, or a password too short, too long or too easy to guess (the message says why)",
				example: {
					error: {
						type: "VALIDATION_ERROR",
						message: "Password is too easy to guess: This is similar to a commonly used password. Add more words that are less common.",
						code: 422,
					},
				},
			},
			"429": {
				description: "Too many sign-ups from this address; retry after `Retry-After` seconds",
				example: { error: { type: "TOO_MANY_REQUESTS", message: "Too many sign-ups from your address; try again later", code: 429 } },
			},
			"503": { description: "Too many sign-ins are being hashed at once; try again shortly" },
		},
	},
	login: {
		tags,
		summary: "Sign in with email and password",
		description:
			"Wrong passwords and unknown emails get the same 401. After 5 failures an account is locked for 1 s, doubling " +
			`up to 15 minutes; 30 failures from one address in 15 minutes block that address. ${CONSOLE_COOKIE}`,
		requestExample: { email: "ada@example.com", password: "a long passphrase of yours" },
		responses: {
			"200": { description: "Signed in", example: signIn },
			"401": {
				description: "Wrong email or password (one message for both)",
				example: { error: { type: "UNAUTHORIZED", message: "Invalid email or password", code: 401 } },
			},
			"429": {
				description: "Too many failed sign-ins for this account or address; retry after `Retry-After` seconds",
				example: { error: { type: "TOO_MANY_REQUESTS", message: "Too many failed sign-in attempts; try again later", code: 429 } },
			},
			"503": { description: "Too many sign-ins are being hashed at once; try again shortly" },
		},
	},
	refresh: {
		tags,
		summary: "Trade a refresh token for a new pair",
		description:
			"Each refresh token works once. Presenting one that was already used means someone holds a copy: the whole sign-in " +
			"is revoked (every refresh and access token of it) and the answer is 401. `refreshToken` is required unless the request " +
			"carries `X-Console: 1` and the `refresh_token` cookie, which is then read instead and replaced by a new one.",
		requestExample: { refreshToken: "drt_Jx3…" },
		responses: {
			"200": { description: "A new access token and refresh token", example: signIn },
			"401": {
				description: "Unknown, expired, revoked or reused refresh token, or no token at all from the console",
				example: { error: { type: "UNAUTHORIZED", message: "Invalid or expired credential", code: 401 } },
			},
		},
	},
	logout: {
		tags,
		summary: "Sign out: the access token stops working at once",
		description:
			"Ends the session of the access token, and also that of `refreshToken` if it is one of the caller's own. " +
			"With `X-Console: 1` the session of the `refresh_token` cookie is ended too and the cookie is cleared (Max-Age=0).",
		responses: {
			"204": { description: "Signed out: recorded in the database, so it holds on every node and across restarts" },
			"503": {
				description: "The sign-out could not be recorded; the session still works, try again",
				example: { error: { type: "SERVICE_UNAVAILABLE", message: "Could not sign out right now: the sign-in stays valid; try again shortly", code: 503 } },
			},
		},
	},
	me: {
		tags,
		summary: "The caller's account",
		responses: { "200": { description: "The account", example: user } },
	},
	changePassword: {
		tags,
		summary: "Change the password; every other session is signed out, this one is kept",
		description:
			"`currentPassword` must be right: a wrong one is a failed sign-in (the same 401, and it counts toward the same lockout " +
			"as /login). `newPassword` follows the sign-up rules (12 to 256 characters, not easy to guess). On success every other " +
			"session of the account is signed out at once, on every node (their access and refresh tokens stop working); the " +
			"caller's own session and tokens keep working. API keys are not affected. Called with an API key, every session is signed out.",
		requestExample: { currentPassword: "the passphrase you have now", newPassword: "a new long passphrase of yours" },
		responses: {
			"204": { description: "Changed; the other sessions are signed out" },
			"401": {
				description: "Wrong current password (one message for every failure)",
				example: { error: { type: "UNAUTHORIZED", message: "Invalid email or password", code: 401 } },
			},
			"422": {
				description: "A new password too short, too long or too easy to guess (the message says why)",
				example: { error: { type: "VALIDATION_ERROR", message: "Password is too easy to guess: This is a top-10 common password.", code: 422 } },
			},
			"429": {
				description: "Too many failed sign-ins for this account or address; retry after `Retry-After` seconds",
				example: { error: { type: "TOO_MANY_REQUESTS", message: "Too many failed sign-in attempts; try again later", code: 429 } },
			},
			"503": { description: "The change could not be recorded; nothing changed, try again" },
		},
	},
	listSessions: {
		tags,
		summary: "The caller's signed-in sessions, last used first",
		description:
			"Every sign-in whose refresh token still works. `device` is a readable guess from the User-Agent the session signed " +
			"in or last refreshed with (clients choose it); `ip` is the address it did so from, as the gateway sees it (see " +
			"TRUST_PROXY). `lastUsedAt` is its last sign-in or refresh (an active client refreshes every 15 minutes). `current` " +
			"marks the session of the access token making this request.",
		responses: { "200": { description: "A page of sessions", example: { items: [session], total: 1 } } },
	},
	revokeSession: {
		tags,
		summary: "Sign one of your sessions out (at once, on every node)",
		description: "Its access and refresh tokens stop working. Another user's session id, or one already signed out, is a 404.",
		responses: {
			"204": { description: "Signed out" },
			"404": { description: "No live session of yours has this id", example: { error: { type: "NOT_FOUND", message: "Session not found", code: 404 } } },
			"503": signOutFailed,
		},
	},
	revokeOtherSessions: {
		tags,
		summary: "Sign out everywhere else: every session but this one",
		description: "The caller's own session keeps working (called with an API key, every session is signed out). API keys are not affected.",
		responses: { "204": { description: "Every other session signed out" }, "503": signOutFailed },
	},
	createApiKey: {
		tags,
		summary: "Create an API key (shown only in this answer)",
		description: "Use it as `Authorization: Bearer dak_…`. Only its SHA-256 hash is stored. At most 50 active keys per user.",
		requestExample: { name: "CI pipeline" },
		responses: {
			"201": { description: "The new key, with `key` shown this once", example: { ...apiKey, key: "dak_Q2x9LmZa…" } },
			"409": { description: "The user already has 50 active keys" },
		},
	},
	listApiKeys: {
		tags,
		summary: "The caller's active API keys, without the keys themselves",
		responses: { "200": { description: "Oldest first", example: [apiKey] } },
	},
	deleteApiKey: {
		tags,
		summary: "Revoke an API key (at once, on every node)",
		responses: { "204": { description: "Revoked" } },
	},
	listUsers: {
		tags,
		summary: "Every account, oldest first",
		responses: { "200": { description: "A page of accounts", example: { items: [user], total: 1 } } },
	},
};
