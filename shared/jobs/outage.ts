import { isDatabaseUnreachable } from "../errors.ts";

/**
 * Thrown by a job handler when a step could not run because something it needs is unreachable (a
 * service, the bus, the database), not because the work is wrong: the queue hands the job back
 * with a back-off, without counting the attempt, until its outage window runs out.
 */
export class JobWaitError extends Error {
	/** What the job waits for, for people: "llm.complete is not reachable". */
	readonly waitingFor: string;
	constructor(waitingFor: string, options?: { cause?: unknown }) {
		super(`Waiting for ${waitingFor}`, options);
		this.name = "JobWaitError";
		this.waitingFor = waitingFor;
	}
}

/**
 * Moleculer's errors for a call that never reached a live node (nothing was done, so asking again
 * later is safe), and for one whose node left the bus while it waited for the answer.
 */
export const UNREACHABLE_ERROR_TYPES: ReadonlySet<string> = new Set(["SERVICE_NOT_FOUND", "SERVICE_NOT_AVAILABLE", "BROKER_DISCONNECTED", "REQUEST_REJECTED"]);

/** What an error says the job waits for, or null when it is an ordinary failure (a provider refusal, bad input). */
export function outageOf(err: unknown): string | null {
	if (err instanceof JobWaitError) return err.waitingFor;
	const e = err as { type?: unknown; data?: { action?: unknown; nodeID?: unknown } } | null;
	if (typeof e?.type === "string" && UNREACHABLE_ERROR_TYPES.has(e.type)) {
		const action = typeof e.data?.action === "string" ? e.data.action : "a service";
		return e.type === "BROKER_DISCONNECTED" ? "the message bus" : `${action} is not reachable`;
	}
	if (isDatabaseUnreachable(err)) return "the database";
	return null;
}
