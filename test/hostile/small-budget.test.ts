/**
 * The platform at the smallest budget its settings are sized for (MEMORY_BUDGET_MB=128: a 48 MB
 * main heap): sign-ups, an upload and a paid analysis, as in the per-user stream case. zxcvbn's
 * word lists (15 MB) on the main heap made the second sign-up after an analysis run it out of heap
 * and the process died.
 */
import { expect } from "chai";
import { startHostilePlatform, type HostilePlatform } from "../helpers/hostile.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";
import { uploadAndExtract } from "../helpers/documents.ts";
import { answerAnalyses } from "../helpers/analyses.ts";
import { startFakeOpenAI, fakeProviderEnv, type FakeProvider } from "../helpers/fake-providers/index.ts";

describe("hostile: the platform at MEMORY_BUDGET_MB=128", function () {
	this.timeout(120_000);
	let platform: HostilePlatform | undefined;
	let provider: FakeProvider;

	before(async () => {
		provider = await startFakeOpenAI();
		answerAnalyses(provider, { summary: "A report." }, { delayMs: 30_000 });
		platform = await startHostilePlatform({ MEMORY_BUDGET_MB: "128", ...fakeProviderEnv({ openai: provider }) });
	});

	after(async () => {
		await platform?.stop();
		await provider?.close();
	});

	it("signs up users while their analyses run, without running out of heap", async () => {
		const base = platform!.baseUrl;
		for (let round = 0; round < 3; round++) {
			const { accessToken: token } = await registerUser(base);
			const doc = await uploadAndExtract(base, token, { name: "report.txt", bytes: "The grid team in Oslo installed new cells. ".repeat(20) });
			const created = await http(base, "POST", `/api/v1/documents/${doc.id}/analyses`, { token, body: { providers: ["openai"], tasks: ["summary"] } });
			expect(created.status, JSON.stringify(created.body)).to.equal(202);
		}
		expect(platform!.child.done, platform!.child.output.join("").slice(-2000)).to.equal(false);
		expect((await http(base, "GET", "/health/live")).status).to.equal(200);
	});
});
