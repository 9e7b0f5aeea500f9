/**
 * Thrown by a job handler when retrying cannot help (the input is gone or invalid): the job fails
 * at once with this message as its reason instead of using up its attempts.
 */
export class UnretryableJobError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "UnretryableJobError";
	}
}

/** Why a running job's signal was aborted; the handler may read `signal.reason` to tell them apart. */
export type JobAbortReason = "cancelled" | "lease-lost" | "stopping";

export class JobAbortedError extends Error {
	readonly reason: JobAbortReason;
	constructor(reason: JobAbortReason) {
		super(`job aborted: ${reason}`);
		this.name = "JobAbortedError";
		this.reason = reason;
	}
}

/**
 * enqueue() refused a job: its user already has `limit` jobs queued or running (scope "key"), or
 * the whole queue has (scope "total"). Nothing was stored.
 */
export class QueueFullError extends Error {
	readonly scope: "key" | "total";
	readonly active: number;
	readonly limit: number;
	constructor(scope: "key" | "total", active: number, limit: number) {
		super(scope === "key" ? `${active} jobs of this user are queued or running; at most ${limit} at once` : `${active} jobs are queued or running; the queue takes at most ${limit}`);
		this.name = "QueueFullError";
		this.scope = scope;
		this.active = active;
		this.limit = limit;
	}
}
