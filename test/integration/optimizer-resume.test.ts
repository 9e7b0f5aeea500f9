import { expect } from "chai";
import pg from "pg";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, waitUntilReady, type Topology } from "../helpers/topology.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";
import { registerUser } from "../helpers/users.ts";
import { createStudy, summaryDataset, trialsOf, waitForStudy } from "./optimizer-fixtures.ts";

/** The study's finished trials straight from PostgreSQL: while the only optimizer is down, the API cannot answer. */
async function finishedTrials(databaseUrl: string, studyId: string): Promise<{ number: number; params: object; scores: object }[]> {
	const client = new pg.Client({ connectionString: databaseUrl });
	await client.connect();
	try {
		const { rows } = await client.query("SELECT number, params, scores FROM optimizer_trials WHERE study_id = $1 AND status <> 'running' ORDER BY number", [studyId]);
		return rows.map(r => ({ number: r.number, params: typeof r.params === "string" ? JSON.parse(r.params) : r.params, scores: typeof r.scores === "string" ? JSON.parse(r.scores) : r.scores }));
	} finally {
		await client.end();
	}
}

describe("optimizer study survives its worker being killed (separate processes over NATS)", function () {
	this.timeout(120_000);
	let db: TestDatabase | undefined;
	let topology: Topology | undefined;
	let openai: FakeProvider | undefined;

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		openai = await startFakeOpenAI();
		// Slow answers, so the kill lands in the middle of the study.
		openai.script({ text: "A short summary of the text", delayMs: 250 });
		topology = await startTopology(
			{ gateway: ["api", "auth", "documents", "llm"], optimizer: ["optimizer"] },
			{
				TRANSPORTER: TEST_NATS_URL,
				DATABASE_URL: db.url,
				REDIS_URL: TEST_REDIS_URL,
				JWT_SECRET: "optimizer-resume-test-secret-0123456789",
				LLM_USER_REQUESTS_PER_MINUTE: "0",
				...fakeProviderEnv({ openai }),
			}
		);
	});

	after(async () => {
		await topology?.stop();
		await openai?.close();
		await db?.drop();
	});

	it("is finished by the restarted optimizer without redoing or double-paying finished work", async () => {
		const { baseUrl } = topology!;
		const user = await registerUser(baseUrl);
		const token = user.accessToken;
		const dataset = summaryDataset(4, 900).map(e => ({ input: e.input.slice(0, 200), reference: e.reference.slice(0, 100) }));
		const id = await createStudy(baseUrl, token, {
			task: { type: "prompt", prompt: "Summarise: {{input}}" },
			dataset,
			space: { model: ["openai:gpt-4o-mini"], temperature: [0, 0.2, 0.4, 0.6, 0.8, 1], max_tokens: [32] },
			objectives: [{ metric: "rougeL" }],
			sampler: "grid",
			budget: { maxTrials: 6, maxCostUsd: 0.05 },
			earlyStopping: false,
			seed: 1,
		});

		const midway = await waitForStudy(baseUrl, token, id, s => s.progress.done >= 2, 30_000);
		expect(midway.status).to.equal("running");
		await topology!.kill("optimizer");
		const finishedAtKill = await finishedTrials(db!.url, id);
		expect(finishedAtKill.length).to.be.within(2, 5);

		// Nobody works on it while its only worker is down.
		await new Promise(r => setTimeout(r, 1_500));
		expect(await finishedTrials(db!.url, id)).to.deep.equal(finishedAtKill);

		await topology!.start("optimizer");
		await waitUntilReady(baseUrl, topology!.processes, 30_000);
		const study = await waitForStudy(baseUrl, token, id, undefined, 60_000);
		expect(study.status).to.equal("succeeded");
		expect(study.progress).to.deep.equal({ done: 6, total: 6 });

		const trials = await trialsOf(baseUrl, token, id);
		expect(trials.map(t => t.number)).to.deep.equal([0, 1, 2, 3, 4, 5]);
		expect(new Set(trials.map(t => t.params.temperature)).size).to.equal(6);
		for (const trial of trials) expect(trial.status).to.equal("succeeded");
		// The trials finished before the kill were kept as they were, not evaluated again.
		for (const before of finishedAtKill) {
			expect(trials[before.number].params).to.deep.equal(before.params);
			expect(trials[before.number].scores).to.deep.equal(before.scores);
		}
		// Every call the study recorded reached the provider once; at most the calls in flight at the
		// kill (one trial's examples) were made again, because their answers died with the worker.
		expect(study.calls).to.equal(6 * dataset.length);
		expect(openai!.requests.length - study.calls).to.be.within(0, dataset.length);
	});
});
