/**
 * Large offline analyses against everyone else's latency (issue 13, item 4): one user sends eight
 * large `local` analyses at once while another user keeps calling the API. Before the analyzer
 * moved to worker threads, its seconds of CPU per text ran on the event loop that answers every
 * request, and the other user waited up to 6.6 s for an answer.
 */
import { expect } from "chai";
import { startHostilePlatform, withBystander, sampleRss, type HostilePlatform } from "../helpers/hostile.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";
import { untilRouted } from "../helpers/routed.ts";
import { stopAllChildren } from "../helpers/child-processes.ts";
import { longEnglishText } from "../helpers/hostile-documents.ts";

describe("hostile: large offline analyses", function () {
	this.timeout(300_000);
	let platform: HostilePlatform;

	before(async () => {
		platform = await startHostilePlatform();
		await untilRouted(platform.baseUrl);
	});

	after(async () => {
		await platform?.stop();
		await stopAllChildren();
	});

	it("eight large analyses of one user leave another user's API calls answered promptly", async () => {
		const heavy = await registerUser(platform.baseUrl);
		const bystander = await registerUser(platform.baseUrl);
		const types = ["summary", "key_points", "keywords", "entities", "sentiment", "topics", "language", "readability", "statistics"];
		// Different texts, so no answer comes from the result cache.
		const inputs = Array.from({ length: 8 }, (_, i) => longEnglishText(400_000, i + 1));
		const rss = sampleRss(platform.pid);
		const { result: answers, bystander: report } = await withBystander(
			platform.baseUrl,
			() => Promise.all(inputs.map(input => http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token: heavy.accessToken, body: { providers: ["local"], task: { types, input } } }))),
			{ path: "/api/v1/auth/me", headers: { authorization: `Bearer ${bystander.accessToken}` } }
		);
		const peakMb = rss.stop();
		for (const answer of answers) {
			expect(answer.status, answer.text.slice(0, 300)).to.equal(200);
			expect(answer.body.results[0].error, JSON.stringify(answer.body.results[0].error)).to.equal(undefined);
			expect(answer.body.results[0].output).to.be.a("string").and.not.equal("");
		}
		expect(report.failures).to.equal(0);
		// Generous for a loaded machine: on the event loop the analyses kept the bystander waiting several seconds.
		expect(report.worstMs, `bystander worst ${report.worstMs.toFixed(0)} ms, p99 ${report.p99Ms.toFixed(0)} ms`).to.be.below(1_500);
		expect(peakMb, `peak RSS ${peakMb.toFixed(0)} MB`).to.be.below(512);
	});
});
