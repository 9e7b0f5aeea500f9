import type { ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { tooManyRequests } from "../../shared/errors.ts";
import { createLimiter } from "../api/rate-limit/redis-or-memory-limiter.ts";

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

/** SQL for the lock (ms from now) an account gets at its `failures`-th failure: none before FREE_FAILURES, then doubling. */
function lockMsSql(failures: string): string {
	const steps: string[] = [`WHEN ${failures} < ${FREE_FAILURES} THEN 0`];
	for (let extra = 0; 2 ** extra < MAX_LOCK_SECONDS; extra++) steps.push(`WHEN ${failures} = ${FREE_FAILURES + extra} THEN ${2 ** extra * 1000}`);
	return `CASE ${steps.join(" ")} ELSE ${MAX_LOCK_SECONDS * 1000} END`;
}

/**
 * Takes one attempt for an account in one statement: counts it as a failure and sets the lock that
 * failure earns, unless the account is locked now (then no row comes back). One statement is atomic
 * on both databases, so attempts sent in parallel are admitted one by one, like sequential ones.
 * (It opens with a comment so Sequelize's SQLite dialect returns RETURNING's rows instead of running
 * it as a bare INSERT.)
 */
const RESERVE_ATTEMPT_SQL = `/* reserve a sign-in attempt */
INSERT INTO auth_login_failures (email, failures, locked_until, last_failure_at) VALUES (:email, 1, 0, :now)
ON CONFLICT (email) DO UPDATE SET
  failures = CASE WHEN auth_login_failures.last_failure_at < :forgetBefore THEN 1 ELSE auth_login_failures.failures + 1 END,
  locked_until = CASE WHEN auth_login_failures.last_failure_at < :forgetBefore THEN 0
                      ELSE :now + ${lockMsSql("auth_login_failures.failures + 1")} END,
  last_failure_at = :now
WHERE auth_login_failures.locked_until <= :now
RETURNING failures`;

/**
 * Brute-force protection for sign-in: a per-account failure counter with exponential lockout,
 * kept in the database (shared by every node, survives restarts) and keyed by the email whether
 * or not the account exists; plus a per-IP limit on failures across accounts (Redis in distributed
 * mode, memory otherwise).
 *
 * An attempt is reserved, on both counters, before the password is verified, and counts as a
 * failure from that moment; a successful sign-in gives it back. Checking first and counting after
 * the (slow) verification let 40 parallel guesses all be verified.
 */
export class LoginThrottle {
	#sequelize: Sequelize;
	#perIp: RateLimiterAbstract;

	constructor(sequelize: Sequelize, broker: ServiceBroker) {
		this.#sequelize = sequelize;
		this.#perIp = createLimiter(broker, { name: "login-failures", ...IP_FAILURES });
	}

	/** Takes one attempt from this address and this account; throws 429 (taking nothing) when either may not try now. */
	async reserveAttempt(email: string, ip: string): Promise<void> {
		try {
			await this.#perIp.consume(ip);
		} catch (rejection) {
			// A limiter that cannot count at all (Redis down and no insurance) lets the attempt through.
			if (rejection instanceof RateLimiterRes) throw throttled(rejection.msBeforeNext / 1000);
		}
		const now = Date.now();
		let admitted: { failures: number }[];
		try {
			admitted = await this.#sequelize.query<{ failures: number }>(RESERVE_ATTEMPT_SQL, {
				replacements: { email, now, forgetBefore: now - FAILURE_MEMORY_MS },
				type: QueryTypes.SELECT,
			});
		} catch (err) {
			// Nothing was tried (the database did not answer): the address gets its attempt back, or an
			// outage would lock everyone behind it out once the database returns.
			await this.#refundIp(ip);
			throw err;
		}
		if (admitted.length > 0) return;
		await this.#refundIp(ip);
		const [row] = await this.#sequelize.query<{ locked_until: string | number }>("SELECT locked_until FROM auth_login_failures WHERE email = :email", {
			replacements: { email },
			type: QueryTypes.SELECT,
		});
		throw throttled((Number(row?.locked_until ?? 0) - Date.now()) / 1000);
	}

	/** The password was right: the account's failures are cleared and the address gets its attempt back. */
	async recordSuccess(email: string, ip: string): Promise<void> {
		await this.#sequelize.query("DELETE FROM auth_login_failures WHERE email = :email", { replacements: { email } });
		await this.#refundIp(ip);
	}

	async #refundIp(ip: string): Promise<void> {
		await this.#perIp.reward(ip, 1).catch(() => {});
	}

	/** Forgets counters whose failures are old and whose lock has ended. */
	async forgetStale(): Promise<void> {
		const now = Date.now();
		await this.#sequelize.query("DELETE FROM auth_login_failures WHERE last_failure_at < :forgetBefore AND locked_until < :now", {
			replacements: { forgetBefore: now - FAILURE_MEMORY_MS, now },
		});
	}
}
