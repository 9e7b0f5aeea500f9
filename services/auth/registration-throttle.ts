import type { ServiceBroker } from "moleculer";
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { tooManyRequests } from "../../shared/errors.ts";
import { createLimiter } from "../api/rate-limit/redis-or-memory-limiter.ts";

const WINDOW_SECONDS = 60 * 60;

/**
 * Sign-ups per client address and hour, counted before any work: each attempt answers whether an
 * email has an account (201 or 409) and may create one, so the count bounds both enumeration and
 * mass account creation. Shared by every node through Redis when there is one (this node's memory
 * while Redis is unreachable).
 */
export class RegistrationThrottle {
	readonly #limiter?: RateLimiterAbstract;

	/** `perHour` 0 means no limit. */
	constructor(broker: ServiceBroker, perHour: number) {
		if (perHour > 0) this.#limiter = createLimiter(broker, { name: "registrations", points: perHour, durationSeconds: WINDOW_SECONDS });
	}

	/** Counts one attempt from `ip`; throws 429 with Retry-After once the address has used its hour's attempts. */
	async consume(ip: string): Promise<void> {
		if (!this.#limiter) return;
		try {
			await this.#limiter.consume(ip);
		} catch (err) {
			// Anything but the limiter's verdict (it could not count at all) lets the attempt through.
			if (err instanceof RateLimiterRes) throw tooManyRequests("Too many sign-ups from your address; try again later", Math.ceil(err.msBeforeNext / 1000));
		}
	}
}
