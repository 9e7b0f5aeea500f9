/**
 * Wall-clock time during which at least one provider call was in flight. Overlapping calls (parallel,
 * race) count once and sequential ones (fallback, repair) add up, so `elapsed - busyMs` is the time
 * the platform itself spent on a request, whatever the strategy.
 */
export class ProviderClock {
	#inFlight = 0;
	#since = 0;
	#busyMs = 0;

	async track<T>(work: () => Promise<T>): Promise<T> {
		if (this.#inFlight++ === 0) this.#since = performance.now();
		try {
			return await work();
		} finally {
			if (--this.#inFlight === 0) this.#busyMs += performance.now() - this.#since;
		}
	}

	get busyMs(): number {
		return this.#inFlight > 0 ? this.#busyMs + performance.now() - this.#since : this.#busyMs;
	}
}
