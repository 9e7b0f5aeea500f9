import { expect } from "chai";
import { startPlatform, type TestPlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { uploadAndExtract } from "../helpers/documents.ts";
import { answerAnalyses, reportPages } from "../helpers/analyses.ts";
import { closeAll, fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";

interface OpenStream {
	status: number;
	retryAfter: string | null;
	body?: unknown;
	close(): void;
}

/** Opens GET /analyses/:id/events; an accepted stream stays open (its first bytes read) until closed. */
async function openStream(baseUrl: string, token: string, analysisId: string): Promise<OpenStream> {
	const client = new AbortController();
	const res = await fetch(`${baseUrl}/api/v1/analyses/${analysisId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: client.signal });
	if (res.status !== 200) return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json(), close: () => {} };
	await res.body!.getReader().read();
	return { status: 200, retryAfter: null, close: () => client.abort() };
}

/**
 * Progress streams (SSE) are capped per user as well as per node: at MEMORY_BUDGET_MB=128 one
 * user's 150 streams made a second user's stream on their own analysis answer 429.
 */
describe("hostile: one user's progress streams", function () {
	this.timeout(120_000);
	let fake: FakeProvider;
	let platform: TestPlatform;
	let alice: RegisteredUser;
	let bob: RegisteredUser;
	const streams: OpenStream[] = [];

	/** An analysis of the user's own that stays running while the test watches it. */
	async function runningAnalysis(user: RegisteredUser): Promise<string> {
		const doc = await uploadAndExtract(platform.baseUrl, user.accessToken, { name: "report.txt", type: "text/plain", bytes: reportPages(1, 200)[0] });
		const created = await http(platform.baseUrl, "POST", `/api/v1/documents/${doc.id}/analyses`, { token: user.accessToken, body: { providers: ["openai"], tasks: ["summary"] } });
		expect(created.status, created.text).to.equal(202);
		return created.body.id;
	}

	before(async () => {
		fake = await startFakeOpenAI();
		// Every provider call waits long enough for the analyses to stay running through the test.
		answerAnalyses(fake, { summary: "A report." }, { delayMs: 60_000 });
		platform = await startPlatform({ env: { MEMORY_BUDGET_MB: "128", ...fakeProviderEnv({ openai: fake }) } });
		alice = await registerUser(platform.baseUrl);
		bob = await registerUser(platform.baseUrl);
	});

	after(async () => {
		for (const stream of streams) stream.close();
		// The provider first, so the calls it holds end and the platform stops without waiting on them.
		await closeAll({ openai: fake });
		await platform?.stop();
	});

	it("refuses a user's streams past their own cap with 429 and Retry-After, while another user's stream is served", async () => {
		const perUser = platform.config.progressStreams.perUser;
		expect(perUser, "the default at 128 MB").to.equal(4);
		const mine = await runningAnalysis(alice);
		const theirs = await runningAnalysis(bob);

		// 150 streams asked for, as in the report; the node's own cap at this budget is 128.
		let refused: OpenStream | undefined;
		for (let i = 0; i < 150 && !refused; i++) {
			const stream = await openStream(platform.baseUrl, alice.accessToken, mine);
			if (stream.status === 200) streams.push(stream);
			else refused = stream;
		}
		expect(streams, "alice's accepted streams").to.have.length(perUser);
		expect(refused?.status).to.equal(429);
		expect(refused?.retryAfter).to.equal("5");
		expect((refused?.body as { error: { type: string; message: string } }).error).to.include({ type: "TOO_MANY_REQUESTS" });
		expect((refused?.body as { error: { message: string } }).error.message).to.match(/^You have 4 progress streams open/);

		const bobs = await openStream(platform.baseUrl, bob.accessToken, theirs);
		expect(bobs.status, JSON.stringify(bobs.body)).to.equal(200);
		streams.push(bobs);

		// A closed stream gives its place back.
		streams.shift()!.close();
		let again: OpenStream | undefined;
		for (let i = 0; i < 50 && again?.status !== 200; i++) {
			await new Promise(r => setTimeout(r, 50));
			again = await openStream(platform.baseUrl, alice.accessToken, mine);
		}
		expect(again?.status).to.equal(200);
		streams.push(again!);
	});
});
