import { expect } from "chai";
import pg from "pg";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, type Topology } from "../helpers/topology.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";
import { answerAnalyses, finishedAnalysis, parseEventStream, reportPages } from "../helpers/analyses.ts";
import { pdfDocument, uploadAndExtract } from "../helpers/documents.ts";

const ANSWER = {
	summary: "Installations grew and costs fell across the programme.",
	keywords: ["solar", "battery"],
	sentiment: { label: "positive" as const, score: 0.7 },
};

describe("analyses on several documents nodes (separate processes over NATS)", function () {
	this.timeout(150_000);
	let db: TestDatabase | undefined;
	let database: pg.Pool | undefined;
	let topology: Topology | undefined;
	let openai: FakeProvider | undefined;
	let user: RegisteredUser;

	const jobRow = async (id: string) => (await database!.query("SELECT status, attempts, lease_owner FROM analyses WHERE id = $1", [id])).rows[0];

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		openai = await startFakeOpenAI();
		topology = await startTopology(
			{ gateway: ["api"], accounts: ["auth"], models: ["llm", "optimizer"], docsA: ["documents"], docsB: ["documents"] },
			{ TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JWT_SECRET: "analyses-topology-secret-0123456789abcdef", ...fakeProviderEnv({ openai }) }
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

	it("shares one queue between the nodes without running any analysis twice", async () => {
		const doc = await uploadAndExtract(topology!.baseUrl, user.accessToken, { name: "shared.txt", type: "text/plain", bytes: reportPages(1, 300)[0] }, 30_000);
		openai!.reset();
		answerAnalyses(openai!, ANSWER, { delayMs: 200 });
		// Different temperatures: twelve distinct analyses, none answered from another's result.
		const created = await Promise.all(
			Array.from({ length: 12 }, (_, i) => http(topology!.baseUrl, "POST", `/api/v1/documents/${doc.id}/analyses`, { token: user.accessToken, body: { providers: ["openai"], tasks: ["summary"], params: { temperature: i / 10 } } }))
		);
		expect(created.map(c => c.status)).to.deep.equal(Array(12).fill(202));
		const ids = created.map(c => c.body.id);
		const owners = new Set<string>();
		let watching = true;
		const watcher = (async () => {
			while (watching) {
				const { rows } = await database!.query("SELECT lease_owner FROM analyses WHERE id = ANY($1) AND lease_owner IS NOT NULL", [ids]);
				for (const { lease_owner } of rows) owners.add(String(lease_owner).split("-")[0]);
				await new Promise(r => setTimeout(r, 20));
			}
		})();
		const analyses = await Promise.all(ids.map(id => finishedAnalysis(topology!.baseUrl, user.accessToken, id, 60_000)));
		watching = false;
		await watcher;
		expect([...owners].sort(), "both nodes took jobs from the queue").to.deep.equal(["docsA", "docsB"]);
		expect(analyses.map(a => a.status)).to.deep.equal(Array(12).fill("succeeded"));
		const rows = await Promise.all(ids.map(jobRow));
		expect(rows.map(r => r.attempts)).to.deep.equal(Array(12).fill(1));
		// One call per analysis (a one-batch document, one task): a job run twice would show here.
		expect(openai!.requests.length).to.equal(12);

		// The progress stream crosses the bus too: from a documents node, through the gateway.
		const events = await http(topology!.baseUrl, "GET", `/api/v1/analyses/${ids[0]}/events`, { token: user.accessToken });
		expect(events.headers.get("content-type")).to.match(/^text\/event-stream/);
		expect(parseEventStream(events.text).map(e => e.event)).to.deep.equal(["progress", "done"]);
	});

	it("loses no analysis when the node running it is killed: another node completes it", async () => {
		openai!.reset();
		// Slow answers, so the job is surely still running when its node is killed.
		answerAnalyses(openai!, ANSWER, { delayMs: 1_500 });
		const doc = await uploadAndExtract(topology!.baseUrl, user.accessToken, { name: "report.pdf", type: "application/pdf", bytes: await pdfDocument(reportPages(8)) }, 30_000);
		expect(doc.status).to.equal("ready");
		const created = await http(topology!.baseUrl, "POST", `/api/v1/documents/${doc.id}/analyses`, { token: user.accessToken, body: { providers: ["openai"], tasks: ["summary", "keywords", "sentiment"] } });
		expect(created.status, created.text).to.equal(202);

		let row = await jobRow(created.body.id);
		for (let i = 0; i < 400 && !(row.status === "running" && row.lease_owner && openai!.requests.length > 0); i++) {
			await new Promise(r => setTimeout(r, 25));
			row = await jobRow(created.body.id);
		}
		expect(row.status, "the analysis started").to.equal("running");
		// NODE_ID is `<process name>-<random>`: the lease names the process to kill.
		const victim = String(row.lease_owner).split("-")[0];
		expect(victim).to.be.oneOf(["docsA", "docsB"]);
		await topology!.kill(victim, "SIGKILL");

		const analysis = await finishedAnalysis(topology!.baseUrl, user.accessToken, created.body.id, 90_000);
		expect(analysis.status, JSON.stringify(analysis)).to.equal("succeeded");
		expect(analysis.results).to.have.length(1);
		expect(analysis.results[0].error).to.equal(undefined);
		expect(analysis.results[0].output.summary).to.equal(ANSWER.summary);
		const finished = await jobRow(created.body.id);
		expect(finished.attempts, "run once by the killed node, once by the survivor").to.equal(2);
	});
});
