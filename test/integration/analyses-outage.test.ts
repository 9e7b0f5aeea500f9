import { expect } from "chai";
import pg from "pg";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, type Topology } from "../helpers/topology.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";
import { answerAnalyses, finishedAnalysis, reportPages } from "../helpers/analyses.ts";
import { uploadAndExtract } from "../helpers/documents.ts";

const OUTAGE_MS = 20_000;
const ANALYSES = 20;

describe("analyses wait out their llm service's absence (separate processes over NATS)", function () {
	this.timeout(240_000);
	let db: TestDatabase | undefined;
	let database: pg.Pool | undefined;
	let topology: Topology | undefined;
	let openai: FakeProvider | undefined;
	let user: RegisteredUser;

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		openai = await startFakeOpenAI();
		topology = await startTopology(
			{ gateway: ["api"], accounts: ["auth"], docs: ["documents"], models: ["llm"], studies: ["optimizer"] },
			{ TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JWT_SECRET: "analyses-outage-secret-0123456789abcdef", LLM_USER_REQUESTS_PER_MINUTE: "0", ...fakeProviderEnv({ openai }) }
		);
		database = new pg.Pool({ connectionString: db.url, max: 2 });
		user = await registerUser(topology.baseUrl);
	});

	after(async () => {
		await database?.end();
		await topology?.stop();
		await openai?.close();
		await db?.drop();
	});

	it(`completes every accepted analysis when the llm process is gone for ${OUTAGE_MS / 1000} s, counting no attempt for the outage`, async () => {
		const base = topology!.baseUrl;
		const doc = await uploadAndExtract(base, user.accessToken, { name: "report.txt", type: "text/plain", bytes: reportPages(1, 300)[0] }, 30_000);
		// Slow answers: the llm process dies with calls in flight and analyses still queued.
		answerAnalyses(openai!, { summary: "Installations grew." }, { delayMs: 2_000 });
		const created = await Promise.all(
			Array.from({ length: ANALYSES }, (_, i) =>
				http(base, "POST", `/api/v1/documents/${doc.id}/analyses`, { token: user.accessToken, body: { providers: ["openai"], tasks: ["summary"], params: { temperature: i / ANALYSES } } })
			)
		);
		expect(created.map(c => c.status)).to.deep.equal(Array(ANALYSES).fill(202));
		const ids = created.map(c => c.body.id as string);
		for (let i = 0; i < 200 && openai!.requests.length === 0; i++) await new Promise(r => setTimeout(r, 25));
		expect(openai!.requests.length, "calls were in flight when llm went away").to.be.greaterThan(0);

		await topology!.kill("models", "SIGKILL");
		const outageEnds = Date.now() + OUTAGE_MS;
		const waitingFor = new Set<string>();
		while (Date.now() < outageEnds) {
			for (const id of ids) {
				const { body } = await http(base, "GET", `/api/v1/analyses/${id}`, { token: user.accessToken });
				expect(body.status, JSON.stringify(body)).to.be.oneOf(["queued", "running", "succeeded"]);
				if (body.waitingFor) waitingFor.add(body.waitingFor);
			}
			await new Promise(r => setTimeout(r, 500));
		}
		expect([...waitingFor], "a waiting analysis says what it waits for").to.include("llm.complete is not reachable");

		answerAnalyses(openai!, { summary: "Installations grew." });
		await topology!.start("models");
		const analyses = await Promise.all(ids.map(id => finishedAnalysis(base, user.accessToken, id, 120_000)));
		expect(analyses.map(a => a.status), JSON.stringify(analyses.filter(a => a.status !== "succeeded")).slice(0, 1000)).to.deep.equal(Array(ANALYSES).fill("succeeded"));
		expect(analyses.every(a => a.results[0].error === undefined)).to.equal(true);
		const { rows } = await database!.query("SELECT attempts, waiting_for FROM analyses WHERE id = ANY($1)", [ids]);
		expect(rows.map(r => r.attempts), "an outage is not an attempt").to.deep.equal(Array(ANALYSES).fill(1));
		expect(rows.every(r => r.waiting_for === null)).to.equal(true);
	});
});
