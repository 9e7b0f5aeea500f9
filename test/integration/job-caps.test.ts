import { expect } from "chai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http, type HttpResult } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";
import { answerAnalyses, reportPages } from "../helpers/analyses.ts";
import { uploadAndExtract } from "../helpers/documents.ts";
import { summaryDataset } from "./optimizer-fixtures.ts";

const STUDIES = "/api/v1/optimizer/studies";
const ACTIVE_STUDIES_MAX = 5;
const ACTIVE_ANALYSES_MAX = 5;
const ACTIVE_PER_NODE_MAX = 8;

/** Long enough (60 random trials over 60 examples) to stay active while the burst of creations lasts. */
const longStudy = (n: number) => ({
	name: `long ${n}`,
	task: { type: "summary" },
	dataset: summaryDataset(60, 1000 + n * 60),
	space: { model: ["local"], sentences: { min: 1, max: 50 } },
	objectives: [{ metric: "rougeL", direction: "maximize" }],
	sampler: "random",
	budget: { maxTrials: 60 },
	earlyStopping: false,
	seed: n,
});

function expectRefused(res: HttpResult, type: string) {
	expect(res.status, res.text).to.equal(429);
	expect(res.body.error).to.include({ type, code: 429 });
	expect(Number(res.headers.get("retry-after"))).to.be.greaterThan(0);
}

for (const backend of BACKENDS) {
	describe(`count caps on jobs hold under parallel requests (${backend.name})`, function () {
		this.timeout(90_000);
		let openai: FakeProvider;
		const platform = usePlatform(backend, async () => {
			openai = await startFakeOpenAI();
			return {
				env: {
					...fakeProviderEnv({ openai }),
					LLM_USER_REQUESTS_PER_MINUTE: "0",
					OPTIMIZER_USER_ACTIVE_STUDIES_MAX: String(ACTIVE_STUDIES_MAX),
					JOBS_USER_ACTIVE_MAX: String(ACTIVE_ANALYSES_MAX),
					JOBS_ACTIVE_PER_NODE_MAX: String(ACTIVE_PER_NODE_MAX),
				},
			};
		});
		let alice: RegisteredUser;
		let bob: RegisteredUser;

		before(async () => {
			alice = await registerUser(platform.baseUrl);
			bob = await registerUser(platform.baseUrl);
		});

		after(async () => {
			await openai?.close();
		});

		it(`accepts exactly ${ACTIVE_STUDIES_MAX} of 20 studies created in parallel; the rest get 429 with Retry-After`, async () => {
			const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => http(platform.baseUrl, "POST", STUDIES, { token: alice.accessToken, body: longStudy(i) })));
			const accepted = answers.filter(a => a.status === 202);
			expect(accepted, answers.map(a => a.status).join(",")).to.have.length(ACTIVE_STUDIES_MAX);
			for (const refused of answers.filter(a => a.status !== 202)) expectRefused(refused, "TOO_MANY_REQUESTS");
			const listed = await http(platform.baseUrl, "GET", STUDIES, { token: alice.accessToken });
			expect(listed.body.total, "nothing but the accepted studies was stored").to.equal(ACTIVE_STUDIES_MAX);
			for (const { body } of accepted) await http(platform.baseUrl, "POST", `${STUDIES}/${body.id}/cancel`, { token: alice.accessToken });
		});

		it(`accepts exactly ${ACTIVE_ANALYSES_MAX} analyses of one user sent in parallel, then refuses a full queue with QUEUE_FULL`, async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "report.txt", type: "text/plain", bytes: reportPages(1, 200)[0] });
			const bobsDoc = await uploadAndExtract(platform.baseUrl, bob.accessToken, { name: "report.txt", type: "text/plain", bytes: reportPages(1, 200)[0] });
			// Slow answers keep every accepted analysis active while the requests arrive.
			answerAnalyses(openai, { summary: "A summary." }, { delayMs: 20_000 });
			const analyse = (user: RegisteredUser, documentId: string, i: number) =>
				http(platform.baseUrl, "POST", `/api/v1/documents/${documentId}/analyses`, { token: user.accessToken, body: { providers: ["openai"], tasks: ["summary"], params: { temperature: i / 20 } } });

			const mine = await Promise.all(Array.from({ length: 12 }, (_, i) => analyse(alice, doc.id, i)));
			expect(mine.filter(a => a.status === 202), mine.map(a => a.status).join(",")).to.have.length(ACTIVE_ANALYSES_MAX);
			for (const refused of mine.filter(a => a.status !== 202)) expectRefused(refused, "TOO_MANY_REQUESTS");

			// Another user is not held to alice's count, but the queue as a whole is full at 8.
			const bobs = await Promise.all(Array.from({ length: 6 }, (_, i) => analyse(bob, bobsDoc.id, i)));
			expect(bobs.filter(a => a.status === 202), bobs.map(a => a.status).join(",")).to.have.length(ACTIVE_PER_NODE_MAX - ACTIVE_ANALYSES_MAX);
			for (const refused of bobs.filter(a => a.status !== 202)) expectRefused(refused, "QUEUE_FULL");

			for (const [user, answers] of [[alice, mine], [bob, bobs]] as const) {
				for (const { body } of answers.filter(a => a.status === 202)) await http(platform.baseUrl, "POST", `/api/v1/analyses/${body.id}/cancel`, { token: user.accessToken });
			}
			// The calls still waiting on the slow provider end now, not in the platform's shutdown.
			await openai.close();
		});
	});
}
