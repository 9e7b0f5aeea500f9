import { expect } from "chai";
import { startHostilePlatform, sampleRss, withBystander, type HostilePlatform } from "../helpers/hostile.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";
import { answerAnalyses, finishedAnalysis, reportPages } from "../helpers/analyses.ts";
import { uploadAndExtract } from "../helpers/documents.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { http } from "../helpers/http.ts";

/** Each of the flood's provider calls takes this long: the flood holds the workers for a while. */
const SLOW_CALL_MS = 3_000;
const FLOOD = 60;

describe("hostile: one user's flood of analyses does not hold up another user's", function () {
	this.timeout(120_000);
	let openai: FakeProvider;
	let platform: HostilePlatform;
	let flooder: RegisteredUser;
	let bystander: RegisteredUser;

	before(async () => {
		openai = await startFakeOpenAI();
		answerAnalyses(openai, { summary: "A slow summary." }, { delayMs: SLOW_CALL_MS });
		platform = await startHostilePlatform({ ...fakeProviderEnv({ openai }), LLM_USER_REQUESTS_PER_MINUTE: "0" });
		[flooder, bystander] = await Promise.all([registerUser(platform.baseUrl), registerUser(platform.baseUrl)]);
	});

	after(async () => {
		// The flood's calls still waiting on the slow provider end with it.
		await openai?.close();
		await platform?.stop();
	});

	it(`runs the bystander's analysis within seconds while ${FLOOD} slow analyses of another user are queued`, async () => {
		const text = reportPages(1, 200)[0];
		const [floodDoc, ownDoc] = await Promise.all([
			uploadAndExtract(platform.baseUrl, flooder.accessToken, { name: "flood.txt", type: "text/plain", bytes: text }),
			uploadAndExtract(platform.baseUrl, bystander.accessToken, { name: "mine.txt", type: "text/plain", bytes: text }),
		]);
		const rss = sampleRss(platform.pid);
		const { result, bystander: live } = await withBystander(platform.baseUrl, async () => {
			// Distinct temperatures: sixty distinct analyses, none answered from another's result.
			const flood = await Promise.all(
				Array.from({ length: FLOOD }, (_, i) =>
					http(platform.baseUrl, "POST", `/api/v1/documents/${floodDoc.id}/analyses`, { token: flooder.accessToken, body: { providers: ["openai"], tasks: ["summary"], params: { temperature: i / FLOOD } } })
				)
			);
			const started = Date.now();
			const mine = await http(platform.baseUrl, "POST", `/api/v1/documents/${ownDoc.id}/analyses`, { token: bystander.accessToken, body: { providers: ["local"], tasks: ["summary"] } });
			expect(mine.status, mine.text).to.equal(202);
			const analysis = await finishedAnalysis(platform.baseUrl, bystander.accessToken, mine.body.id, 90_000);
			return { flood, analysis, tookMs: Date.now() - started };
		});
		const peakMb = rss.stop();
		console.log(`      bystander analysis: ${result.tookMs} ms; /health/live worst ${live.worstMs.toFixed(0)} ms; peak RSS ${peakMb.toFixed(0)} MB`);

		expect(result.flood.map(f => f.status)).to.deep.equal(Array(FLOOD).fill(202));
		expect(result.analysis.status, JSON.stringify(result.analysis)).to.equal("succeeded");
		// First-in first-out, the bystander waits for the flood: at least 60 / 16 workers x 3 s = 11 s
		// (45 s with the earlier 4 workers). Served round-robin it starts at once; 6 s is generous.
		expect(result.tookMs, "the bystander's analysis waited for the flood").to.be.below(6_000);
		expect(live.failures).to.equal(0);
		expect(peakMb).to.be.below(512);
	});
});
