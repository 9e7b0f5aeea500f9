import crypto from "node:crypto";
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { Op, UniqueConstraintError, type Transaction, type WhereOptions } from "sequelize";
import { LRUCache } from "lru-cache";
import { createDbMixin, type DbServiceThis } from "../../shared/db/db.mixin.ts";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { platformConfig } from "../../shared/platform.ts";
import { conflict, invalidInput, notFound, serviceUnavailable, unauthorized } from "../../shared/errors.ts";
import { callerOf } from "../../shared/ownership.ts";
import type { AuthenticatedUser, CallerMeta } from "../../shared/contracts/auth.ts";
import { brokerRedis } from "../api/rate-limit/redis-or-memory-limiter.ts";
import { migrations } from "./migrations/index.ts";
import { defineModels, type AuthModels, type Role, type SessionRow, type UserRow } from "./models.ts";
import { PasswordHasher } from "./password-hasher.ts";
import { assertAcceptablePassword, closePasswordStrength, normalizePassword } from "./password-policy.ts";
import { AccessTokens, ACCESS_TOKEN_TTL_SECONDS } from "./access-tokens.ts";
import { hashSecret, looksLikeApiKey, newApiKey, newRefreshToken } from "./opaque-tokens.ts";
import { resolveSigningKey } from "./jwt-secret.ts";
import { LoginThrottle } from "./login-throttle.ts";
import { RegistrationThrottle } from "./registration-throttle.ts";
import { SessionDenylist, type Revocation } from "./session-denylist.ts";
import { RevokedSessions } from "./revoked-sessions.ts";
import { credentialsParams, apiKeyNameParam, nameParam, passwordChangeParams, refreshTokenParam } from "./params.ts";
import { deviceName } from "./device-name.ts";
import { clearedRefreshCookie, refreshCookie } from "./refresh-cookie.ts";
import { OPENAPI } from "./openapi.ts";
import { listLimitParam, listOffsetParam } from "../../shared/validation/pagination.ts";

const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const MAX_API_KEYS_PER_USER = 50;
/** How long a resolved API key is trusted without asking the database again (revocation clears it at once). */
const API_KEY_CACHE_TTL_MS = 30_000;
/** last_used_at is written at most this often per key, so busy keys do not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_CREDENTIAL_LENGTH = 4096;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** A signed-out session stays on the denylist this long: its last access token's lifetime, and a minute for clocks. */
const REVOCATION_TTL_MS = (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
/** How long a sign-out waits for each other auth node to take it. */
const REVOCATION_NOTICE_TIMEOUT_MS = 1000;
/** How often an auth node reads the revocations other nodes wrote, in case their notice never arrived. */
const REVOCATION_CATCH_UP_MS = 10_000;
/** Sessions per write when many are signed out at once (SQLite caps the variables of one statement). */
const SESSIONS_PER_WRITE = 500;
/** Revocations per notice to another auth node: its sessionsRevoked action takes at most this many. */
const REVOCATIONS_PER_NOTICE = 100;
const SIGN_OUT_FAILED = "Could not sign out right now: the sign-in stays valid; try again shortly";

/** The caller as the gateway puts it in meta; `sessionId` lets sign-out end the token's own session. */
export interface SessionUser extends AuthenticatedUser {
	sessionId?: string;
}

type Meta = CallerMeta & { user?: SessionUser | null; $location?: string };

interface ResolvedApiKey {
	keyId: string;
	user: SessionUser;
	lastUsedAt: number;
}

interface AuthThis extends DbServiceThis<AuthModels> {
	hasher: PasswordHasher;
	accessTokens: AccessTokens;
	throttle: LoginThrottle;
	registrations: RegistrationThrottle;
	passwordMinScore: number;
	denylist: SessionDenylist;
	revokedSessions: RevokedSessions;
	catchUpTimer?: NodeJS.Timeout;
	startRevocations(): Promise<void>;
	tellOtherAuthNodes(revocations: Revocation[]): Promise<void>;
	refillRedis(): void;
	stopRefillingRedis?: () => void;
	apiKeys: LRUCache<string, ResolvedApiKey | false>;
	startSession(user: UserRow, meta: Meta, transaction?: Transaction): Promise<SignInAnswer>;
	issueTokens(user: UserRow, sessionId: string, transaction?: Transaction): Promise<SignInAnswer>;
	endSession(sessionId: string): Promise<void>;
	endSessions(choose: (transaction: Transaction) => Promise<string[]>, failureMessage: string): Promise<void>;
	liveSessionsOf(userId: string): WhereOptions<SessionRow>;
	otherLiveSessionIds(caller: SessionUser, transaction: Transaction): Promise<string[]>;
	endOwnSessionOf(refreshToken: string, userId: string): Promise<void>;
	answerSignIn(ctx: Context<unknown, Meta>, answer: SignInAnswer): SignInAnswer | ConsoleSignInAnswer;
	presentedRefreshToken(ctx: Context<{ refreshToken?: string }, Meta>): string;
	resolveApiKey(key: string): Promise<SessionUser>;
	purgeExpired(): Promise<void>;
	purgeTimer: NodeJS.Timeout;
}

interface SignInAnswer {
	user: PublicUser;
	accessToken: string;
	refreshToken: string;
	expiresIn: number;
}

/** The console's answer: its refresh token went into an httpOnly cookie instead. */
type ConsoleSignInAnswer = Omit<SignInAnswer, "refreshToken">;

interface PublicUser {
	id: string;
	email: string;
	name: string | null;
	role: Role;
	createdAt: Date;
}

function publicUser(user: UserRow): PublicUser {
	return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt };
}

/** A session as its owner sees it in the list; `current` marks the one the request was made with. */
function publicSession(session: SessionRow, currentSessionId: string | undefined) {
	return {
		id: session.id,
		device: deviceName(session.userAgent),
		userAgent: session.userAgent,
		ip: session.ip,
		createdAt: session.createdAt,
		lastUsedAt: session.lastUsedAt ?? session.createdAt,
		current: session.id === currentSessionId,
	};
}

function publicApiKey(key: { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null }) {
	return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt };
}

const INVALID_CREDENTIALS = "Invalid email or password";
const INVALID_TOKEN = "Invalid or expired credential";

const AuthService: ServiceSchema<ServiceSettingSchema, Record<string, any>, Record<string, any>, AuthThis> = {
	name: "auth",
	mixins: [createDbMixin({ name: "auth", migrations, models: defineModels }), createHealthMixin()],

	events: {
		/** Another auth node revoked an API key: forget it here too, not only when the cache entry expires. */
		"auth.apiKeyRevoked"(this: AuthThis, ctx: Context<{ keyHash: string }>) {
			this.apiKeys.delete(ctx.params.keyHash);
		},
	},

	actions: {
		register: {
			rest: "POST /register",
			auth: "public",
			params: { ...credentialsParams, name: { ...nameParam, optional: true } },
			openapi: OPENAPI.register,
			async handler(this: AuthThis, ctx: Context<{ email: string; password: string; name?: string }, Meta>) {
				const { email, name } = ctx.params;
				// Counted first: every attempt costs a password check and a hash.
				await this.registrations.consume(ctx.meta.ip ?? "unknown");
				const password = normalizePassword(ctx.params.password);
				await assertAcceptablePassword(password, email, this.passwordMinScore);
				// No look-up before the hash: a taken email costs the same hash and insert attempt as a free
				// one, so the time of the answer does not tell whether the email has an account.
				const passwordHash = await this.hasher.hash(password);
				// The account and its first session are written together, or not at all.
				const answer = await this.sequelize
					.transaction(async transaction => {
						const user = await this.models.User.create(
							{ id: crypto.randomUUID(), email, name: name || null, passwordHash, role: "user" },
							{ transaction }
						);
						return this.startSession(user, ctx.meta, transaction);
					})
					.catch(err => {
						// The unique index decides, also between two registrations of one address at the same moment.
						if (err instanceof UniqueConstraintError) throw conflict("An account with this email already exists");
						throw err;
					});
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = "/api/v1/auth/me";
				return this.answerSignIn(ctx, answer);
			},
		},

		login: {
			rest: "POST /login",
			auth: "public",
			params: { ...credentialsParams },
			openapi: OPENAPI.login,
			async handler(this: AuthThis, ctx: Context<{ email: string; password: string }, Meta>) {
				const { email } = ctx.params;
				const password = normalizePassword(ctx.params.password);
				const ip = ctx.meta.ip ?? "unknown";
				// Reserved before the verification, counted as a failure until it succeeds: parallel guesses cannot pass the limits.
				await this.throttle.reserveAttempt(email, ip);
				const user = await this.models.User.findOne({ where: { email } });
				// An unknown address costs the same hash as a wrong password, and counts the same.
				const valid = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyAgainstNothing(password);
				if (!user || !valid) throw unauthorized(INVALID_CREDENTIALS);
				await this.throttle.recordSuccess(email, ip);
				if (await this.hasher.needsRehash(user.passwordHash)) {
					await user.update({ passwordHash: await this.hasher.hash(password) });
				}
				return this.answerSignIn(ctx, await this.startSession(user, ctx.meta));
			},
		},

		refresh: {
			rest: "POST /refresh",
			auth: "public",
			// Optional only for the console, whose token comes in the cookie instead (checked in the handler).
			params: { refreshToken: { ...refreshTokenParam, optional: true } },
			openapi: OPENAPI.refresh,
			async handler(this: AuthThis, ctx: Context<{ refreshToken?: string }, Meta>) {
				const { RefreshToken, Session, User } = this.models;
				const token = await RefreshToken.findOne({ where: { tokenHash: hashSecret(this.presentedRefreshToken(ctx)) } });
				if (!token) throw unauthorized(INVALID_TOKEN);
				const session = await Session.findByPk(token.sessionId);
				if (!session || session.revokedAt) throw unauthorized(INVALID_TOKEN);
				// Claim the token atomically: of two uses (a thief and the owner), exactly one wins.
				const [claimed] = await RefreshToken.update({ usedAt: new Date() }, { where: { id: token.id, usedAt: null } });
				if (claimed === 0) {
					// A rotated token came back: someone holds a copy. End the whole sign-in for both.
					await this.endSession(session.id);
					this.logger.warn(`Refresh token reuse detected; session ${session.id} of user ${session.userId} revoked`);
					throw unauthorized(INVALID_TOKEN);
				}
				if (token.expiresAt.getTime() <= Date.now()) throw unauthorized(INVALID_TOKEN);
				const user = await User.findByPk(session.userId);
				if (!user) throw unauthorized(INVALID_TOKEN);
				// For the sessions list: when and from where this sign-in was last used.
				await session.update({ lastUsedAt: new Date(), ip: ctx.meta.ip?.slice(0, 64) ?? session.ip, userAgent: ctx.meta.userAgent?.slice(0, 255) ?? session.userAgent });
				return this.answerSignIn(ctx, await this.issueTokens(user, session.id));
			},
		},

		logout: {
			rest: "POST /logout",
			params: { refreshToken: { ...refreshTokenParam, optional: true } },
			openapi: OPENAPI.logout,
			async handler(this: AuthThis, ctx: Context<{ refreshToken?: string }, Meta>): Promise<null> {
				const caller = callerOf(ctx);
				if (caller.sessionId) await this.endSession(caller.sessionId);
				if (ctx.params.refreshToken) await this.endOwnSessionOf(ctx.params.refreshToken, caller.id);
				if (ctx.meta.console) {
					if (ctx.meta.refreshCookie) await this.endOwnSessionOf(ctx.meta.refreshCookie, caller.id);
					ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, "Set-Cookie": clearedRefreshCookie() };
				}
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		me: {
			rest: "GET /me",
			openapi: OPENAPI.me,
			async handler(this: AuthThis, ctx: Context<unknown, Meta>): Promise<PublicUser> {
				const user = await this.models.User.findByPk(callerOf(ctx).id);
				if (!user) throw unauthorized(INVALID_TOKEN);
				return publicUser(user);
			},
		},

		changePassword: {
			rest: "POST /password",
			params: passwordChangeParams,
			openapi: OPENAPI.changePassword,
			async handler(this: AuthThis, ctx: Context<{ currentPassword: string; newPassword: string }, Meta>): Promise<null> {
				const caller = callerOf(ctx);
				const user = await this.models.User.findByPk(caller.id);
				if (!user) throw unauthorized(INVALID_TOKEN);
				const ip = ctx.meta.ip ?? "unknown";
				// The sign-in's own reservation: a stolen access token cannot guess the password here faster than at /login.
				await this.throttle.reserveAttempt(user.email, ip);
				if (!(await this.hasher.verify(user.passwordHash, normalizePassword(ctx.params.currentPassword)))) throw unauthorized(INVALID_CREDENTIALS);
				await this.throttle.recordSuccess(user.email, ip);
				const newPassword = normalizePassword(ctx.params.newPassword);
				await assertAcceptablePassword(newPassword, user.email, this.passwordMinScore);
				const passwordHash = await this.hasher.hash(newPassword);
				// The new password and the other sessions' sign-out commit together: no state where one holds without the other.
				await this.endSessions(async transaction => {
					await user.update({ passwordHash }, { transaction });
					return this.otherLiveSessionIds(caller, transaction);
				}, "Could not change the password right now: nothing was changed; try again shortly");
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		listSessions: {
			rest: "GET /sessions",
			params: { limit: listLimitParam, offset: listOffsetParam },
			openapi: OPENAPI.listSessions,
			async handler(this: AuthThis, ctx: Context<{ limit: number; offset: number }, Meta>) {
				const caller = callerOf(ctx);
				const { rows, count } = await this.models.Session.findAndCountAll({
					where: this.liveSessionsOf(caller.id),
					order: [["lastUsedAt", "DESC"], ["id", "ASC"]],
					limit: ctx.params.limit,
					offset: ctx.params.offset,
				});
				return { items: rows.map(session => publicSession(session, caller.sessionId)), total: count };
			},
		},

		revokeSession: {
			rest: "DELETE /sessions/:id",
			params: { id: { type: "uuid" } },
			openapi: OPENAPI.revokeSession,
			async handler(this: AuthThis, ctx: Context<{ id: string }, Meta>): Promise<null> {
				// Another user's session answers like an unknown one.
				const session = await this.models.Session.findOne({ where: { ...this.liveSessionsOf(callerOf(ctx).id), id: ctx.params.id.toLowerCase() } });
				if (!session) throw notFound("Session");
				await this.endSession(session.id);
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		revokeOtherSessions: {
			rest: "DELETE /sessions",
			openapi: OPENAPI.revokeOtherSessions,
			async handler(this: AuthThis, ctx: Context<unknown, Meta>): Promise<null> {
				const caller = callerOf(ctx);
				await this.endSessions(transaction => this.otherLiveSessionIds(caller, transaction), SIGN_OUT_FAILED);
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		createApiKey: {
			rest: "POST /api-keys",
			openapi: OPENAPI.createApiKey,
			params: { name: apiKeyNameParam },
			async handler(this: AuthThis, ctx: Context<{ name: string }, Meta>) {
				const caller = callerOf(ctx);
				const active = await this.models.ApiKey.count({ where: { userId: caller.id, revokedAt: null } });
				if (active >= MAX_API_KEYS_PER_USER) throw conflict(`You already have ${MAX_API_KEYS_PER_USER} API keys; delete one first`);
				const { key, prefix } = newApiKey();
				const row = await this.models.ApiKey.create({
					id: crypto.randomUUID(),
					userId: caller.id,
					name: ctx.params.name,
					prefix,
					keyHash: hashSecret(key),
					lastUsedAt: null,
					revokedAt: null,
				});
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = "/api/v1/auth/api-keys";
				// The only time the key itself is shown: only its hash is stored.
				return { ...publicApiKey(row), key };
			},
		},

		listApiKeys: {
			rest: "GET /api-keys",
			openapi: OPENAPI.listApiKeys,
			async handler(this: AuthThis, ctx: Context<unknown, Meta>) {
				const rows = await this.models.ApiKey.findAll({
					where: { userId: callerOf(ctx).id, revokedAt: null },
					order: [["createdAt", "ASC"]],
				});
				return rows.map(publicApiKey);
			},
		},

		deleteApiKey: {
			rest: "DELETE /api-keys/:id",
			openapi: OPENAPI.deleteApiKey,
			params: { id: { type: "uuid" } },
			async handler(this: AuthThis, ctx: Context<{ id: string }, Meta>): Promise<null> {
				const row = await this.models.ApiKey.findOne({ where: { id: ctx.params.id, userId: callerOf(ctx).id, revokedAt: null } });
				if (!row) throw notFound("API key");
				await row.update({ revokedAt: new Date() });
				this.apiKeys.delete(row.keyHash);
				// The key is revoked in the database already; if the bus drops this, other nodes' caches expire within 30 s.
				await this.broker
					.broadcast("auth.apiKeyRevoked", { keyHash: row.keyHash }, { groups: ["auth"] })
					.catch(err => this.logger.warn(`Could not tell other auth nodes about a revoked API key: ${(err as Error).message}`));
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/**
		 * The gateway's hook for every signed-in request: an access JWT (verified here without the
		 * database, then checked against the sign-out denylist) or an API key (by its hash, briefly cached).
		 */
		authenticate: {
			visibility: "public",
			// A check, repeatable: the gateway's every request fails over to another auth node if this one dies.
			idempotent: true,
			params: { credential: "string" },
			async handler(this: AuthThis, ctx: Context<{ credential: string }>): Promise<SessionUser> {
				const { credential } = ctx.params;
				// No real credential is this long; refuse it like any other bad one, before any work.
				if (credential.length > MAX_CREDENTIAL_LENGTH) throw unauthorized(INVALID_TOKEN);
				if (looksLikeApiKey(credential)) return this.resolveApiKey(credential);
				const claims = await this.accessTokens.verify(credential);
				if (!claims || (await this.revokedSessions.isRevoked(claims.sessionId))) throw unauthorized(INVALID_TOKEN);
				return { id: claims.userId, email: claims.email, role: claims.role, via: "access-token", sessionId: claims.sessionId };
			},
		},

		/** Another auth node signed sessions out (committed already): refuse their access tokens here too. Bus only. */
		sessionsRevoked: {
			visibility: "public",
			params: {
				revocations: { type: "array", max: 100, items: { type: "object", strict: "remove", props: { sessionId: "uuid", expiresAt: { type: "number", integer: true, positive: true } } } },
			},
			handler(this: AuthThis, ctx: Context<{ revocations: Revocation[] }>): null {
				// Before started() this node has not loaded yet; its load reads the committed rows anyway.
				this.revokedSessions?.heard(ctx.params.revocations);
				return null;
			},
		},

		listUsers: {
			rest: "GET /users",
			openapi: OPENAPI.listUsers,
			roles: ["admin"],
			params: {
				limit: listLimitParam,
				offset: listOffsetParam,
			},
			async handler(this: AuthThis, ctx: Context<{ limit: number; offset: number }, Meta>) {
				const { rows, count } = await this.models.User.findAndCountAll({
					order: [["createdAt", "ASC"], ["id", "ASC"]],
					limit: ctx.params.limit,
					offset: ctx.params.offset,
				});
				return { items: rows.map(publicUser), total: count };
			},
		},

		/**
		 * Operators' way to make an administrator (from the REPL: `call auth.setRole --email a@b.c --role admin`).
		 * No REST route; the new role is in access tokens issued from now on.
		 */
		setRole: {
			visibility: "public",
			params: { email: credentialsParams.email, role: { type: "enum", values: ["user", "admin"] } },
			async handler(this: AuthThis, ctx: Context<{ email: string; role: Role }>): Promise<PublicUser> {
				const user = await this.models.User.findOne({ where: { email: ctx.params.email } });
				if (!user) throw notFound("User");
				await user.update({ role: ctx.params.role });
				return publicUser(user);
			},
		},
	},

	methods: {

		async startSession(this: AuthThis, user: UserRow, meta: Meta, transaction?: Transaction): Promise<SignInAnswer> {
			const session = await this.models.Session.create(
				{
					id: crypto.randomUUID(),
					userId: user.id,
					revokedAt: null,
					ip: meta.ip?.slice(0, 64) ?? null,
					userAgent: meta.userAgent?.slice(0, 255) ?? null,
					lastUsedAt: new Date(),
				},
				{ transaction }
			);
			return this.issueTokens(user, session.id, transaction);
		},

		async issueTokens(this: AuthThis, user: UserRow, sessionId: string, transaction?: Transaction): Promise<SignInAnswer> {
			const refreshToken = newRefreshToken();
			await this.models.RefreshToken.create(
				{
					id: crypto.randomUUID(),
					sessionId,
					tokenHash: hashSecret(refreshToken),
					expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
					usedAt: null,
				},
				{ transaction }
			);
			const accessToken = await this.accessTokens.sign({ userId: user.id, email: user.email, role: user.role, sessionId });
			return { user: publicUser(user), accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
		},

		/** The console's refresh token goes into an httpOnly cookie, where script cannot read it, instead of the body. */
		answerSignIn(ctx: Context<unknown, Meta>, answer: SignInAnswer): SignInAnswer | ConsoleSignInAnswer {
			if (!ctx.meta.console) return answer;
			const { refreshToken, ...rest } = answer;
			ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, "Set-Cookie": refreshCookie(refreshToken, REFRESH_TOKEN_TTL_SECONDS) };
			return rest;
		},

		/** The body's refresh token, else (console only) the cookie's; neither is a 422 for API clients, a 401 for the console. */
		presentedRefreshToken(ctx: Context<{ refreshToken?: string }, Meta>): string {
			const token = ctx.params.refreshToken ?? (ctx.meta.console ? ctx.meta.refreshCookie : undefined);
			if (token) return token;
			if (ctx.meta.console) throw unauthorized("Not signed in: no refresh_token cookie; sign in again");
			throw invalidInput("The 'refreshToken' field is required", [{ type: "required", field: "refreshToken", message: "The 'refreshToken' field is required." }]);
		},

		/** Ends the session a refresh token belongs to, if it is the caller's; anyone else's token is ignored, not revealed. */
		async endOwnSessionOf(this: AuthThis, refreshToken: string, userId: string): Promise<void> {
			const token = await this.models.RefreshToken.findOne({ where: { tokenHash: hashSecret(refreshToken) } });
			const session = token && (await this.models.Session.findByPk(token.sessionId));
			if (session && session.userId === userId) await this.endSession(session.id);
		},

		/**
		 * Revokes the session's refresh tokens and stops its access tokens at once, on every node. The
		 * revocation is committed to the database before anything else: if it cannot be, the caller
		 * gets a 503 (the session still works), never a sign-out that a restart or Redis would undo.
		 */
		async endSession(this: AuthThis, sessionId: string): Promise<void> {
			await this.endSessions(async () => [sessionId], SIGN_OUT_FAILED);
		},

		/**
		 * Signs out the sessions `choose` picks, inside the transaction that records them (so whatever
		 * `choose` also writes commits with them, or nothing does), then spreads the revocations here
		 * and tells the other auth nodes. A failure to commit answers 503 with `failureMessage`.
		 */
		async endSessions(this: AuthThis, choose: (transaction: Transaction) => Promise<string[]>, failureMessage: string): Promise<void> {
			let revocations: Revocation[] = [];
			try {
				await this.sequelize.transaction(async transaction => {
					const sessionIds = await choose(transaction);
					const expiresAt = Date.now() + REVOCATION_TTL_MS;
					revocations = sessionIds.map(sessionId => ({ sessionId, expiresAt }));
					for (let i = 0; i < sessionIds.length; i += SESSIONS_PER_WRITE) {
						const ids = sessionIds.slice(i, i + SESSIONS_PER_WRITE);
						await this.models.Session.update({ revokedAt: new Date() }, { where: { id: ids, revokedAt: null }, transaction });
					}
					await this.revokedSessions.record(revocations, transaction);
				});
			} catch (err) {
				this.logger.error(`Could not record the sign-out of ${revocations.length || "the"} session(s): ${(err as Error).message}`);
				throw serviceUnavailable(failureMessage);
			}
			if (revocations.length === 0) return;
			this.revokedSessions.spread(revocations);
			for (let i = 0; i < revocations.length; i += REVOCATIONS_PER_NOTICE) {
				await this.tellOtherAuthNodes(revocations.slice(i, i + REVOCATIONS_PER_NOTICE));
			}
		},

		/** The caller's live sessions but the one making the request (all of them for an API key, which has none). */
		async otherLiveSessionIds(this: AuthThis, caller: SessionUser, transaction: Transaction): Promise<string[]> {
			const others = await this.models.Session.findAll({
				attributes: ["id"],
				where: { ...this.liveSessionsOf(caller.id), ...(caller.sessionId ? { id: { [Op.ne]: caller.sessionId } } : {}) },
				transaction,
			});
			return others.map(session => session.id);
		},

		/** A user's sessions whose refresh token may still work: not signed out, used within the refresh token's lifetime. */
		liveSessionsOf(this: AuthThis, userId: string): WhereOptions<SessionRow> {
			const oldestLive = new Date(Date.now() - REFRESH_TOKEN_TTL_SECONDS * 1000);
			return { userId, revokedAt: null, lastUsedAt: { [Op.gt]: oldestLive } };
		},

		/**
		 * Hands the sign-out to every other auth node and waits for them (a second at most), so the
		 * token is refused everywhere before the 204, even with Redis down; an event would race the
		 * client's next request. A node that does not answer catches up from the database within seconds.
		 */
		async tellOtherAuthNodes(this: AuthThis, revocations: Revocation[]): Promise<void> {
			const others = this.broker.registry
				.getServiceList({ onlyAvailable: true })
				.filter(service => service.name === "auth" && !service.local)
				.map(service => service.nodeID);
			await Promise.all(
				others.map(nodeID =>
					this.broker
						.call("auth.sessionsRevoked", { revocations }, { nodeID, timeout: REVOCATION_NOTICE_TIMEOUT_MS, retries: 0 })
						.catch(err => this.logger.warn(`Could not tell auth node ${nodeID} about a sign-out: ${(err as Error).message}`))
				)
			);
		},

		/**
		 * Before the first request: loads the sign-outs in force (made by this node before a restart, or
		 * by any other), refills Redis now and whenever it reconnects, and catches up on other nodes'.
		 */
		async startRevocations(this: AuthThis): Promise<void> {
			this.revokedSessions = new RevokedSessions(this.sequelize, this.denylist);
			await this.revokedSessions.load();
			const redis = brokerRedis(this.broker);
			if (redis) {
				const onReady = () => this.refillRedis();
				redis.on("ready", onReady);
				this.stopRefillingRedis = () => redis.off("ready", onReady);
				if (redis.status === "ready") this.refillRedis();
			}
			if (platformConfig(this.broker).transporter) {
				this.catchUpTimer = setInterval(() => {
					this.revokedSessions.catchUp().catch(err => this.logger.warn(`Could not catch up on sign-outs: ${(err as Error).message}`));
				}, REVOCATION_CATCH_UP_MS).unref();
			}
		},

		/** Copies the revocations in force to Redis, which may have lost them (restarted, evicted); in the background. */
		refillRedis(this: AuthThis): void {
			this.revokedSessions.refillRedis().catch(err => this.logger.warn(`Could not refill the Redis denylist: ${(err as Error).message}`));
		},

		/** Drops refresh tokens past their expiry and failure counters nobody is locked by any more. */
		async purgeExpired(this: AuthThis): Promise<void> {
			await this.models.RefreshToken.destroy({ where: { expiresAt: { [Op.lt]: new Date() } } });
			await this.revokedSessions.purgeExpired();
			await this.throttle.forgetStale();
		},

		async resolveApiKey(this: AuthThis, key: string): Promise<SessionUser> {
			const keyHash = hashSecret(key);
			let resolved = this.apiKeys.get(keyHash);
			if (resolved === undefined) {
				const row = await this.models.ApiKey.findOne({ where: { keyHash, revokedAt: null } });
				const user = row && (await this.models.User.findByPk(row.userId));
				resolved = row && user
					? { keyId: row.id, user: { id: user.id, email: user.email, role: user.role, via: "api-key" }, lastUsedAt: row.lastUsedAt?.getTime() ?? 0 }
					: false;
				this.apiKeys.set(keyHash, resolved);
			}
			if (!resolved) throw unauthorized("Invalid or revoked API key");
			if (Date.now() - resolved.lastUsedAt > LAST_USED_RESOLUTION_MS) {
				resolved.lastUsedAt = Date.now();
				// Bookkeeping only: a failed write must not fail the caller's request.
				await this.models.ApiKey.update({ lastUsedAt: new Date() }, { where: { id: resolved.keyId } }).catch(err =>
					this.logger.warn(`Could not record API key use: ${(err as Error).message}`)
				);
			}
			return resolved.user;
		},
	},

	created(this: AuthThis) {
		const config = platformConfig(this.broker);
		this.hasher = PasswordHasher.forMemoryBudget(config.memoryBudgetMb);
		this.passwordMinScore = config.auth.passwordMinScore;
		this.accessTokens = new AccessTokens(resolveSigningKey(config));
		this.apiKeys = new LRUCache({ max: Math.max(1000, config.memoryBudgetMb * 4), ttl: API_KEY_CACHE_TTL_MS });
		this.denylist = new SessionDenylist({
			redis: brokerRedis(this.broker),
			namespace: config.namespace,
			maxLocalEntries: config.auth.revokedSessionsInMemory,
			logger: this.logger,
		});
	},

	async started(this: AuthThis) {
		// After the db mixin's started(): the tables exist and this.sequelize is set.
		this.throttle = new LoginThrottle(this.sequelize, this.broker);
		await this.accessTokens.load();
		this.registrations = new RegistrationThrottle(this.broker, platformConfig(this.broker).auth.registrationsPerHour);
		await this.startRevocations();
		this.purgeTimer = setInterval(() => {
			this.purgeExpired().catch(err => this.logger.warn(`Could not purge expired sign-in data: ${(err as Error).message}`));
		}, PURGE_INTERVAL_MS).unref();
	},

	async stopped(this: AuthThis) {
		clearInterval(this.purgeTimer);
		clearInterval(this.catchUpTimer);
		this.stopRefillingRedis?.();
		await closePasswordStrength();
	},
};

export default AuthService;
