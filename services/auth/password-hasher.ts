import { serviceUnavailable } from "../../shared/errors.ts";

/** OWASP's argon2id recommendation: 19 MiB, two passes, one lane. */
export const ARGON2_OPTIONS = { type: 2 /* argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

type Argon2 = typeof import("argon2");

/**
 * Hashes and verifies passwords with argon2id, at most `concurrency` at a time: each hash holds
 * 19 MiB, so a burst of sign-ins waits in a bounded queue instead of exhausting a 512 MB instance.
 * A full queue answers 503 at once rather than piling up work nobody will wait for.
 */
export class PasswordHasher {
	readonly concurrency: number;
	readonly maxQueue: number;
	#running = 0;
	#waiting: (() => void)[] = [];
	#argon2?: Promise<Argon2>;
	#dummyHash?: Promise<string>;

	constructor(options: { concurrency: number; maxQueue: number }) {
		this.concurrency = options.concurrency;
		this.maxQueue = options.maxQueue;
	}

	/** Sized from the memory budget: two hashes at once on 512 MB (libuv runs them off the event loop). */
	static forMemoryBudget(memoryBudgetMb: number): PasswordHasher {
		const concurrency = Math.max(1, Math.min(4, Math.floor(memoryBudgetMb / 256)));
		return new PasswordHasher({ concurrency, maxQueue: concurrency * 100 });
	}

	async hash(password: string): Promise<string> {
		const argon2 = await this.#load();
		return this.#bounded(() => argon2.hash(password, ARGON2_OPTIONS));
	}

	/** False for a wrong password or an unreadable hash, never a throw. */
	async verify(hash: string, password: string): Promise<boolean> {
		const argon2 = await this.#load();
		return this.#bounded(() => argon2.verify(hash, password).catch(() => false));
	}

	/**
	 * Spends the same work as a real verification, for sign-ins with an unknown email, so the
	 * answer time does not tell which addresses have accounts.
	 */
	async verifyAgainstNothing(password: string): Promise<false> {
		this.#dummyHash ??= this.hash("timing-equaliser-" + Math.random());
		await this.verify(await this.#dummyHash, password);
		return false;
	}

	/** Whether a stored hash predates the current parameters (rehashed at the next sign-in). */
	async needsRehash(hash: string): Promise<boolean> {
		const argon2 = await this.#load();
		return argon2.needsRehash(hash, ARGON2_OPTIONS);
	}

	#load(): Promise<Argon2> {
		this.#argon2 ??= import("argon2");
		return this.#argon2;
	}

	async #bounded<T>(work: () => Promise<T>): Promise<T> {
		if (this.#running >= this.concurrency) {
			if (this.#waiting.length >= this.maxQueue) throw serviceUnavailable("Too many sign-ins at once; try again shortly");
			await new Promise<void>(resolve => this.#waiting.push(resolve));
		} else {
			this.#running++;
		}
		try {
			return await work();
		} finally {
			// Hand the slot straight to the next waiter, so the running count never exceeds the bound.
			const next = this.#waiting.shift();
			if (next) next();
			else this.#running--;
		}
	}
}
