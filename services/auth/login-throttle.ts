import type { ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { tooManyRequests } from "../../shared/errors.ts";
import { consumePoint, createLimiter } from "../api/rate-limit/redis-or-memory-limiter.ts";

/** Failures an account may have before it is locked; then 1 s, 2 s, 4 s ... up to 15 minutes. */
export const FREE_FAILURES = 5;
const MAX_LOCK_SECONDS = 15 * 60;
/** A day without failures forgets the earlier ones. */
const FAILURE_MEMORY_MS = 24 * 60 * 60 * 1000;
/** Failed sign-ins one address may cause (over any accounts) before it must wait. */
export const IP_FAILURES = { points: 30, durationSeconds: 15 * 60 };

function throttled(retryAfterSeconds: number) {
	// One message for every cause, so the answer does not reveal whether the account exists.
	return tooManyRequests("Too many failed sign-in attempts; try again later", Math.max(1, Math.ceil(retryAfterSeconds)));
}

/**
 * Brute-force protection for sign-in: a per-account failure counter with exponential lockout,
 * kept in the database (shared by every node, survives restarts) and keyed by the email whether
 * or not the account exists; plus a per-IP limit on failures across accounts.
 */
export class LoginThrottle {
	#sequelize: Sequelize;
	#perIp: RateLimiterAbstract;

	constructor(sequelize: Sequelize, broker: ServiceBroker) {
		this.#sequelize = sequelize;
		this.#perIp = createLimiter(broker, { name: "login-failures", ...IP_FAILURES });
	}

	/** Throws 429 when this address or this account may not try now. */
	async assertMayTry(email: string, ip: string): Promise<void> {
		const byIp = await this.#perIp.get(ip).catch(() => null);
		if (byIp && byIp.remainingPoints <= 0) throw throttled(byIp.msBeforeNext / 1000);
		const [row] = await this.#sequelize.query<{ locked_until: string | number }>(
			"SELECT locked_until FROM auth_login_failures WHERE email = :email",
			{ replacements: { email }, type: QueryTypes.SELECT }
		);
		const lockedForMs = Number(row?.locked_until ?? 0) - Date.now();
		if (lockedForMs > 0) throw throttled(lockedForMs / 1000);
	}

	/** Counts a failure against the account and the address; locks the account past the free ones. */
	async recordFailure(email: string, ip: string): Promise<void> {
		const now = Date.now();
		// The increment is one atomic statement, so concurrent failures are all counted. (Read back
		// separately: Sequelize does not return rows from INSERT ... RETURNING on SQLite.)
		await this.#sequelize.query(
			`INSERT INTO auth_login_failures (email, failures, locked_until, last_failure_at) VALUES (:email, 1, 0, :now)
			 ON CONFLICT (email) DO UPDATE SET
			   failures = CASE WHEN auth_login_failures.last_failure_at < :forgetBefore THEN 1 ELSE auth_login_failures.failures + 1 END,
			   last_failure_at = :now`,
			{ replacements: { email, now, forgetBefore: now - FAILURE_MEMORY_MS } }
		);
		const [row] = await this.#sequelize.query<{ failures: string | number }>("SELECT failures FROM auth_login_failures WHERE email = :email", {
			replacements: { email },
			type: QueryTypes.SELECT,
		});
		const failures = Number(row.failures);
		if (failures >= FREE_FAILURES) {
			const lockSeconds = Math.min(MAX_LOCK_SECONDS, 2 ** (failures - FREE_FAILURES));
			await this.#sequelize.query("UPDATE auth_login_failures SET locked_until = :until WHERE email = :email", {
				replacements: { email, until: now + lockSeconds * 1000 },
			});
		}
		await consumePoint(this.#perIp, ip);
	}

	/** Forgets counters whose failures are old and whose lock has ended. */
	async forgetStale(): Promise<void> {
		const now = Date.now();
		await this.#sequelize.query("DELETE FROM auth_login_failures WHERE last_failure_at < :forgetBefore AND locked_until < :now", {
			replacements: { forgetBefore: now - FAILURE_MEMORY_MS, now },
		});
	}

	/** A successful sign-in clears the account's failures (the address's stay until they expire). */
	async recordSuccess(email: string): Promise<void> {
		await this.#sequelize.query("DELETE FROM auth_login_failures WHERE email = :email", { replacements: { email } });
	}
}
