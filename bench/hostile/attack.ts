/**
 * One hostile case for `npm run bench:hostile`: what a hostile client sends, and what it got back.
 * Each area keeps its cases in bench/hostile/attacks/<area>.ts (default export: an array); the
 * runner starts a fresh platform per case and measures the bystander and the memory around `run`.
 */
export interface HostileAttack {
	/** Short name for the table: "login email 128k chars (ReDoS)". */
	name: string;
	/** Environment for the platform this case runs on, over the defaults (embedded, MEMORY_BUDGET_MB=512). */
	env?: Record<string, string>;
	/** Prepares what the attack needs (accounts, documents) before measuring starts; its result is passed to run. */
	setup?(baseUrl: string): Promise<unknown>;
	/** The attack itself; resolves with the answer as a person would read it ("422 VALIDATION_ERROR", "document failed: expands to more than 48 MB"). */
	run(baseUrl: string, prepared: unknown): Promise<string>;
}
