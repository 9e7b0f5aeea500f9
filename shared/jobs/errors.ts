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
