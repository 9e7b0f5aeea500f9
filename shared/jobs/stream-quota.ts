import { tooManyRequests } from "../errors.ts";

/** Seconds a refused client is told to wait before opening a stream again. */
const RETRY_AFTER_SECONDS = 5;

/**
 * How many progress streams (SSE) a service keeps open on a node: in all, and per user. Each open
 * stream costs a socket and a couple of timers, so the node has a cap; the per-user cap keeps one
 * user's streams (many tabs, or a client opening them in a loop) from taking the whole node's, so
 * another user can always watch their own job.
 */
export class StreamQuota {
	readonly #perNode: number;
	readonly #perUser: number;
	readonly #byUser = new Map<string, number>();
	#open = 0;

	constructor(limits: { perNode: number; perUser: number }) {
		this.#perNode = limits.perNode;
		this.#perUser = limits.perUser;
	}

	/** Streams open now. */
	get open(): number {
		return this.#open;
	}

	/**
	 * Counts a stream of `userId`, or throws 429 (with Retry-After) past either cap; `pollInstead`
	 * names what to poll. Returns the release, to call once when the stream ends (later calls do nothing).
	 */
	acquire(userId: string, pollInstead: string): () => void {
		const mine = this.#byUser.get(userId) ?? 0;
		if (mine >= this.#perUser) {
			throw tooManyRequests(`You have ${mine} progress streams open, the most one user may; close one, or poll ${pollInstead} instead`, RETRY_AFTER_SECONDS);
		}
		if (this.#open >= this.#perNode) {
			throw tooManyRequests(`Too many progress streams are open on this node; poll ${pollInstead} instead`, RETRY_AFTER_SECONDS);
		}
		this.#byUser.set(userId, mine + 1);
		this.#open++;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#open--;
			const left = (this.#byUser.get(userId) ?? 1) - 1;
			if (left > 0) this.#byUser.set(userId, left);
			else this.#byUser.delete(userId);
		};
	}
}
