import type { Budget } from "./study/definition.ts";

/** Why a study stopped before its sampler ran out of configurations. */
export type StopReason = "maxTrials" | "maxCostUsd" | "maxCalls" | "maxWallSeconds" | "spaceExhausted";

/** Thrown when a call may not start; the study ends with this reason, keeping what it found. */
export class BudgetExhausted extends Error {
	readonly reason: StopReason;
	constructor(reason: StopReason, message: string) {
		super(message);
		this.name = "BudgetExhausted";
		this.reason = reason;
	}
}

/**
 * The hard limits of one running study. A call reserves its worst-case cost before it starts and
 * settles at its real cost, so concurrent calls together can never pass maxCostUsd: the spend is
 * at most what was reserved, and a call that could overshoot is never started.
 */
export class BudgetTracker {
	readonly #budget: Budget;
	readonly #deadline: number;
	#spentUsd: number;
	#calls: number;
	#reservedUsd = 0;
	#reservedCalls = 0;

	constructor(budget: Budget, spent: { usd: number; calls: number; wallStartedAt: Date }) {
		this.#budget = budget;
		this.#spentUsd = spent.usd;
		this.#calls = spent.calls;
		this.#deadline = spent.wallStartedAt.getTime() + budget.maxWallSeconds * 1000;
	}

	get spentUsd(): number {
		return this.#spentUsd;
	}

	get calls(): number {
		return this.#calls;
	}

	/** Throws BudgetExhausted when the study is out of wall time. */
	checkTime(now = Date.now()): void {
		if (now >= this.#deadline) throw new BudgetExhausted("maxWallSeconds", `the study ran for its ${this.#budget.maxWallSeconds} s (budget.maxWallSeconds)`);
	}

	/** Reserves one call costing at most `maxCostUsd`; throws BudgetExhausted when it could pass a limit. */
	reserve(maxCostUsd: number): void {
		this.checkTime();
		const { maxCalls, maxCostUsd: limit } = this.#budget;
		if (maxCalls !== undefined && this.#calls + this.#reservedCalls + 1 > maxCalls) {
			throw new BudgetExhausted("maxCalls", `the study made its ${maxCalls} calls (budget.maxCalls)`);
		}
		if (this.#spentUsd + this.#reservedUsd + maxCostUsd > limit) {
			throw new BudgetExhausted(
				"maxCostUsd",
				`the next call could cost up to $${maxCostUsd.toFixed(6)}, more than the $${Math.max(0, limit - this.#spentUsd - this.#reservedUsd).toFixed(6)} left of budget.maxCostUsd`
			);
		}
		this.#reservedUsd += maxCostUsd;
		this.#reservedCalls += 1;
	}

	/** Replaces a reservation by what the call really cost (nothing, when it never reached the provider). */
	settle(reservedUsd: number, costUsd: number, called: boolean): void {
		this.#reservedUsd = Math.max(0, this.#reservedUsd - reservedUsd);
		this.#reservedCalls -= 1;
		this.#spentUsd += costUsd;
		if (called) this.#calls += 1;
	}
}
