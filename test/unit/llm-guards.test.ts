import { expect } from "chai";
import { loadConfig, type LlmSettings } from "../../shared/config.ts";
import { ProviderGuards } from "../../services/llm/provider-guards.ts";
import { ProviderError } from "../../services/llm/providers/provider.ts";

const settings = (env: Record<string, string> = {}): LlmSettings =>
	loadConfig({ LLM_RETRIES: "2", LLM_RETRY_BASE_MS: "1", LLM_CIRCUIT_FAILURES: "3", LLM_CIRCUIT_RESET_MS: "50", LLM_TIMEOUT_MS: "200", ...env }).llm;

const fail = (kind: ProviderError["kind"], retryAfterMs?: number) => () => Promise.reject(new ProviderError("p", kind, kind, { retryAfterMs }));

async function outcome<T>(work: Promise<T>): Promise<ProviderError | T> {
	try {
		return await work;
	} catch (err) {
		return err as ProviderError;
	}
}

describe("llm provider guards", () => {
	it("retries retryable failures with backoff, up to LLM_RETRIES more attempts", async () => {
		const guards = new ProviderGuards(settings({ LLM_CIRCUIT_FAILURES: "100" }));
		let calls = 0;
		const answer = await guards.run("p", undefined, async () => (++calls < 3 ? Promise.reject(new ProviderError("p", "server_error", "500")) : "ok"));
		expect(answer).to.equal("ok");
		expect(calls).to.equal(3);
		calls = 0;
		const error = await outcome(guards.run("p", undefined, () => (calls++, fail("network")())));
		expect(error).to.include({ kind: "network" });
		expect(calls).to.equal(3);
	});

	it("never retries a client error, an unsupported request or a cancelled call", async () => {
		const guards = new ProviderGuards(settings());
		for (const kind of ["client_error", "unsupported", "aborted"] as const) {
			let calls = 0;
			await outcome(guards.run("p", undefined, () => (calls++, fail(kind)())));
			expect(calls, kind).to.equal(1);
		}
	});

	it("waits as long as Retry-After asks, and gives up at once when it asks for too long", async () => {
		const guards = new ProviderGuards(settings({ LLM_RETRIES: "1", LLM_CIRCUIT_FAILURES: "100" }));
		const times: number[] = [];
		await outcome(guards.run("p", undefined, () => (times.push(performance.now()), fail("rate_limited", 120)())));
		expect(times).to.have.length(2);
		expect(times[1] - times[0]).to.be.at.least(115);
		let calls = 0;
		const error = await outcome(guards.run("p", undefined, () => (calls++, fail("rate_limited", 3_600_000)())));
		expect(calls).to.equal(1);
		expect(error).to.include({ kind: "rate_limited" });
	});

	it("times an attempt out and aborts its signal", async () => {
		const guards = new ProviderGuards(settings({ LLM_RETRIES: "0", LLM_TIMEOUT_MS: "100" }));
		let seen: AbortSignal | undefined;
		const error = await outcome(
			guards.run("p", undefined, signal => {
				seen = signal;
				return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
			})
		);
		expect(error).to.include({ kind: "timeout", retryable: true });
		expect(seen?.aborted).to.equal(true);
	});

	it("opens a provider's circuit after consecutive failures, refuses calls while open, and closes after a successful trial", async () => {
		const guards = new ProviderGuards(settings({ LLM_RETRIES: "0" }));
		for (let i = 0; i < 3; i++) await outcome(guards.run("flaky", undefined, fail("server_error")));
		expect(guards.circuit("flaky")).to.equal("open");
		expect(guards.circuit("other")).to.equal("closed");
		let called = false;
		const refused = await outcome(guards.run("flaky", undefined, async () => ((called = true), "x")));
		expect(refused).to.include({ kind: "circuit_open", retryable: false });
		expect(called).to.equal(false);
		await new Promise(r => setTimeout(r, 70));
		expect(await guards.run("flaky", undefined, async () => "back")).to.equal("back");
		expect(guards.circuit("flaky")).to.equal("closed");
	});

	it("does not count refused or cancelled calls against the circuit", async () => {
		const guards = new ProviderGuards(settings({ LLM_RETRIES: "0" }));
		for (let i = 0; i < 5; i++) {
			await outcome(guards.run("p", undefined, fail("client_error")));
			await outcome(guards.run("p", undefined, fail("aborted")));
		}
		expect(guards.circuit("p")).to.equal("closed");
	});

	it("bounds calls in flight per provider and refuses beyond its queue", async () => {
		const guards = new ProviderGuards(settings({ LLM_PROVIDER_CONCURRENCY: "1", LLM_TIMEOUT_MS: "5000" }));
		let release: () => void = () => {};
		const gate = new Promise<void>(resolve => (release = resolve));
		let running = 0;
		let most = 0;
		const work = async () => {
			most = Math.max(most, ++running);
			await gate;
			running--;
			return "done";
		};
		// 1 running + 4 queued fit; the sixth is refused at once.
		const calls = Array.from({ length: 6 }, () => outcome(guards.run("busy", undefined, work)));
		const refused = await calls[5];
		expect(refused).to.include({ kind: "overloaded" });
		release();
		expect(await Promise.all(calls.slice(0, 5))).to.deep.equal(["done", "done", "done", "done", "done"]);
		expect(most).to.equal(1);
	});
});
