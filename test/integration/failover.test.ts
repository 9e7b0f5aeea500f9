import { expect } from "chai";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, type Topology } from "../helpers/topology.ts";
import { registerUser } from "../helpers/users.ts";
import { sleep } from "../helpers/child-processes.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";

interface Answer {
	kind: "read" | "complete";
	sentAt: number;
	status: number;
	ms: number;
}

/**
 * Two replicas of the llm service over real NATS; one is SIGKILLed under load. Reads (GET
 * /api/v1/llm/providers: llm.providers, idempotent) routed to the dead replica go to the live one;
 * calls that cannot be repeated (a paid completion) answer 503 at once rather than waiting; nothing
 * waits the 10-11.5 s it took while a dead node was noticed only after Moleculer's heartbeat timeout.
 */
describe("failover: a dead replica is invisible to reads and costs other calls a fast 503", function () {
	this.timeout(180_000);
	let db: TestDatabase | undefined;
	let topology: Topology | undefined;
	let openai: FakeProvider | undefined;
	const savedLogLevel = process.env.TEST_LOG_LEVEL;

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		openai = await startFakeOpenAI();
		// Every completion takes a while at the provider, so some are in flight on the replica that dies.
		openai.script({ text: "fine", delayMs: 300 });
		// Info level: the gateway's "Node '...' connected" lines tell when both replicas are on the bus.
		process.env.TEST_LOG_LEVEL = "info";
		try {
			topology = await startTopology(
				{ gateway: ["api"], others: ["auth", "documents", "optimizer"], llm1: ["llm"], llm2: ["llm"] },
				{ TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JWT_SECRET: "failover-test-secret-0123456789abcdef", LLM_USER_REQUESTS_PER_MINUTE: "0", ...fakeProviderEnv({ openai }) }
			);
		} finally {
			if (savedLogLevel === undefined) delete process.env.TEST_LOG_LEVEL;
			else process.env.TEST_LOG_LEVEL = savedLogLevel;
		}
	});

	after(async () => {
		await topology?.stop();
		await openai?.close();
		await db?.drop();
	});

	async function bothReplicasKnown(): Promise<void> {
		const gateway = topology!.processes.get("gateway")!;
		const deadline = Date.now() + 60_000;
		while (Date.now() < deadline) {
			const log = gateway.output.join("");
			if (["llm1", "llm2"].every(name => new RegExp(`Node '${name}-[0-9a-f]+' connected`).test(log))) return;
			await sleep(100);
		}
		throw new Error("the gateway never saw both llm replicas");
	}

	it("sends reads to the live replica and answers the rest within 2 s", async () => {
		const { accessToken } = await registerUser(topology!.baseUrl);
		await bothReplicasKnown();
		const headers = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
		const answers: Answer[] = [];
		let running = true;
		let n = 0;
		const ask = async (kind: Answer["kind"]) => {
			while (running) {
				const sentAt = performance.now();
				const res =
					kind === "read"
						? await fetch(`${topology!.baseUrl}/api/v1/llm/providers`, { headers, signal: AbortSignal.timeout(30_000) }).catch(() => undefined)
						: await fetch(`${topology!.baseUrl}/api/v1/llm/complete`, { method: "POST", headers, body: JSON.stringify({ prompt: `question ${n++}`, providers: ["openai"] }), signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
				await res?.arrayBuffer();
				answers.push({ kind, sentAt, status: res?.status ?? 0, ms: performance.now() - sentAt });
				// Well under the gateway's per-address limit (1,200 a minute), which all these clients share.
				await sleep(100);
			}
		};
		const clients = [...Array.from({ length: 4 }, () => ask("read")), ...Array.from({ length: 4 }, () => ask("complete"))];
		await sleep(2_000);
		const killedAt = performance.now();
		await topology!.kill("llm1", "SIGKILL");
		await sleep(8_000);
		running = false;
		await Promise.all(clients);

		const reads = answers.filter(a => a.kind === "read");
		const completes = answers.filter(a => a.kind === "complete");
		const statuses = (list: Answer[]) => [...new Set(list.map(a => a.status))].sort();
		const worst = (list: Answer[]) => Math.round(Math.max(...list.map(a => a.ms)));
		expect(reads.filter(a => a.sentAt < killedAt).length, "reads ran before the kill").to.be.greaterThan(0);
		// Every read answered, by the live replica when the dead one had it.
		expect(statuses(reads), "statuses of reads").to.deep.equal([200]);
		// A paid completion is not repeated: the ones the dead replica had answer 503, the rest 200.
		expect(statuses(completes).every(status => status === 200 || status === 503), `statuses of completions: ${statuses(completes)}`).to.equal(true);
		// Generous bounds against a loaded machine: a dead node is dropped after NODE_TIMEOUT_MS (1.5 s); before, it took 6-12 s.
		expect(worst(reads), "slowest read (ms)").to.be.below(5_000);
		expect(worst(completes), "slowest completion (ms)").to.be.below(5_000);
		// After the drop, completions go to the live replica only.
		const late = completes.filter(a => a.sentAt > killedAt + 5_000);
		expect(late.length).to.be.greaterThan(0);
		expect(statuses(late), "completions well after the kill").to.deep.equal([200]);
	});
});
