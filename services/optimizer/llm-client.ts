import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceBroker } from "moleculer";
import type { AuthenticatedUser } from "../../shared/contracts/auth.ts";
import type { CompleteParams, CompleteResult } from "../../shared/contracts/llm.ts";

/** A paid model may think for a while; the llm service enforces its own per-provider deadlines inside. */
const LLM_CALL_TIMEOUT_MS = 180_000;
/** When the llm service says how long to wait it is believed, within reason. */
const MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** How long a study waits for an llm node to (re)appear on the bus before its job gives up this attempt. */
const MAX_UNREACHABLE_MS = 30_000;
const UNREACHABLE_RETRY_MS = 1_000;
/** The call never reached an llm node: nothing was done or paid, so asking again is safe. */
const UNREACHABLE = new Set(["SERVICE_NOT_FOUND", "SERVICE_NOT_AVAILABLE"]);

function rateLimitWaitMs(err: unknown): number | undefined {
	const e = err as { code?: number; data?: { retryAfter?: number } };
	if (e?.code !== 429) return undefined;
	return Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(1, e.data?.retryAfter ?? 5) * 1000);
}

/**
 * llm.complete on the study owner's behalf (the llm service applies that user's budget and limits).
 * A study is a batch of many calls: the user's requests-per-minute limit, or an llm node restarting,
 * means waiting, not failing the trial. Waits end early when the study is cancelled or stops.
 */
export function ownerCompletion(broker: ServiceBroker, owner: AuthenticatedUser, signal: AbortSignal): (request: CompleteParams) => Promise<CompleteResult> {
	return async request => {
		let unreachableSince: number | undefined;
		for (;;) {
			try {
				return await broker.call<CompleteResult, CompleteParams>("llm.complete", request, { meta: { user: owner }, timeout: LLM_CALL_TIMEOUT_MS, caller: "optimizer" });
			} catch (err) {
				const rateLimited = rateLimitWaitMs(err);
				if (rateLimited !== undefined) {
					await sleep(rateLimited, undefined, { signal });
					continue;
				}
				if (!UNREACHABLE.has((err as { type?: string }).type ?? "")) throw err;
				unreachableSince ??= Date.now();
				if (Date.now() - unreachableSince > MAX_UNREACHABLE_MS) throw err;
				await sleep(UNREACHABLE_RETRY_MS, undefined, { signal });
			}
		}
	};
}

/**
 * Waits briefly for services this node has not discovered yet: a node that has just joined the bus
 * learns about the others within a moment, and a request in that moment should not fail.
 */
export async function awaitServices(broker: ServiceBroker, names: string[], timeoutMs = 5_000): Promise<void> {
	try {
		await broker.waitForServices(names, timeoutMs);
	} catch {
		// Not there: the call that follows fails with the bus's own "service not found" (503 at the gateway).
	}
}
