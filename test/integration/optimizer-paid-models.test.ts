import { expect } from "chai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { fakeProviderEnv, startFakeOpenAI, type FakeProvider, type FakeRequest } from "../helpers/fake-providers/index.ts";
import { createStudy, summaryDataset, trialsOf, waitForStudy } from "./optimizer-fixtures.ts";

const STUDIES = "/api/v1/optimizer/studies";

function promptOf(req: FakeRequest): string {
	return (req.body?.messages ?? []).map((m: { content: string }) => m.content).join("\n");
}

/** A provider that honours max_tokens like a real one: the answer is cut, and so is the usage. */
function boundedReply(req: FakeRequest, text: string) {
	const limit = req.body?.max_completion_tokens ?? req.body?.max_tokens ?? Infinity;
	const words = text.split(" ").slice(0, Math.max(1, limit));
	return { text: words.join(" "), usage: { inputTokens: Math.ceil(promptOf(req).length / 4), outputTokens: words.length } };
}

for (const backend of BACKENDS) {
	describe(`optimizer with paid models (${backend.name})`, function () {
		this.timeout(60_000);
		let openai: FakeProvider;
		const platform = usePlatform(backend, async () => {
			openai = await startFakeOpenAI();
			return { env: { ...fakeProviderEnv({ openai }), LLM_USER_REQUESTS_PER_MINUTE: "0" } };
		});
		let user: RegisteredUser;
		const dataset = summaryDataset(4, 700).map(e => ({ input: e.input.slice(0, 300), reference: e.reference.split(". ")[0] }));
		const promptStudy = (overrides: object = {}) => ({
			name: "paid summaries",
			task: { type: "prompt", prompt: "Summarise in one sentence: {{input}}" },
			dataset,
			space: { model: ["openai:gpt-4o-mini", "openai:gpt-4.1-nano"], temperature: { min: 0, max: 1 }, max_tokens: [16, 32] },
			objectives: [
				{ metric: "rougeL", direction: "maximize" },
				{ metric: "costUsd", direction: "minimize" },
			],
			sampler: "random",
			budget: { maxTrials: 30, maxCostUsd: 0.0003 },
			earlyStopping: false,
			seed: 5,
			...overrides,
		});

		beforeEach(async () => {
			// A fresh user per test: the llm service's monthly spend is per user and is compared below.
			user = await registerUser(platform.baseUrl);
			openai.reset();
			openai.script(req => boundedReply(req, `The first sentence of ${req.model} summaries is here and then some more words follow until the limit`));
		});

		after(async () => {
			await openai?.close();
		});

		it("never spends more than maxCostUsd, and accounts for every cent the llm service charged", async () => {
			const { baseUrl } = platform;
			const token = user.accessToken;
			const estimate = await http(baseUrl, "POST", STUDIES, { token, body: { ...promptStudy(), dryRun: true } });
			expect(estimate.status).to.equal(200);
			expect(estimate.body.estimate.calls).to.equal(30 * dataset.length);
			expect(estimate.body.estimate.costUsd).to.equal(0.0003);
			expect(openai.requests).to.have.length(0);

			const id = await createStudy(baseUrl, token, promptStudy());
			const study = await waitForStudy(baseUrl, token, id);
			expect(study.status).to.equal("succeeded");
			expect(study.stopReason).to.equal("maxCostUsd");
			expect(study.spentUsd).to.be.at.most(0.0003);
			expect(study.spentUsd).to.be.above(0.0003 / 3);
			expect(study.calls).to.equal(openai.requests.length);

			const trials = await trialsOf(baseUrl, token, id);
			expect(trials.at(-1).status).to.equal("stopped");
			expect(trials.at(-1).error).to.match(/budget\.maxCostUsd/);
			expect(trials.reduce((sum, t) => sum + t.costUsd, 0)).to.be.closeTo(study.spentUsd, 1e-12);
			for (const trial of trials.filter(t => t.status === "succeeded")) expect(trial.scores.costUsd).to.be.above(0);
			// Every request asked for a bounded answer: that is what makes the worst case knowable.
			for (const req of openai.requests) expect(req.body.max_completion_tokens).to.be.oneOf([16, 32]);

			// The llm service's own records of this user's spend agree with the study's.
			const usage = await http(baseUrl, "GET", "/api/v1/llm/usage", { token });
			expect(usage.status).to.equal(200);
			expect(usage.body.spentUsd).to.be.closeTo(study.spentUsd, 1e-12);

			// Re-run with more money: the configurations already paid for come from the result cache.
			const before = openai.requests.length;
			const rerunId = await createStudy(baseUrl, token, promptStudy({ budget: { maxTrials: trials.length + 2, maxCostUsd: 0.01 } }));
			const rerun = await waitForStudy(baseUrl, token, rerunId);
			const rerunTrials = await trialsOf(baseUrl, token, rerunId);
			expect(rerunTrials.slice(0, trials.length - 1).map(t => t.params)).to.deep.equal(trials.slice(0, -1).map(t => t.params));
			for (const trial of rerunTrials.slice(0, trials.length - 1)) expect(trial.calls).to.equal(0);
			expect(openai.requests.length - before).to.equal(rerun.calls);
			expect(rerun.calls).to.be.at.most(3 * dataset.length);
		});

		it("stops before the first call when even one call could pass the budget", async () => {
			const id = await createStudy(platform.baseUrl, user.accessToken, promptStudy({ budget: { maxTrials: 5, maxCostUsd: 0.000001 } }));
			const study = await waitForStudy(platform.baseUrl, user.accessToken, id);
			expect(study.status).to.equal("succeeded");
			expect(study.stopReason).to.equal("maxCostUsd");
			expect(study.spentUsd).to.equal(0);
			expect(study.best).to.equal(null);
			expect(openai.requests).to.have.length(0);
		});

		it("fails a configuration whose model errors and goes on with the others", async () => {
			openai.script(req =>
				req.model === "gpt-4.1-nano" ? { status: 400, message: "The model gpt-4.1-nano does not exist" } : boundedReply(req, "A fine summary")
			);
			const id = await createStudy(platform.baseUrl, user.accessToken, promptStudy({ budget: { maxTrials: 6, maxCostUsd: 0.01 }, sampler: "grid", space: { model: ["openai:gpt-4o-mini", "openai:gpt-4.1-nano"], max_tokens: [16, 32, 64] } }));
			const study = await waitForStudy(platform.baseUrl, user.accessToken, id);
			expect(study.status).to.equal("succeeded");
			const trials = await trialsOf(platform.baseUrl, user.accessToken, id);
			for (const trial of trials) {
				if (trial.params.model === "openai:gpt-4.1-nano") {
					expect(trial.status).to.equal("failed");
					expect(trial.error).to.match(/gpt-4\.1-nano/);
				} else {
					expect(trial.status).to.equal("succeeded");
				}
			}
			expect(study.best.params.model).to.equal("openai:gpt-4o-mini");
		});

		it("fails a study whose every model fails, with the provider's reason", async () => {
			openai.script({ status: 400, message: "Your organisation is not allowed to use this model" });
			const id = await createStudy(platform.baseUrl, user.accessToken, promptStudy({ budget: { maxTrials: 10, maxCostUsd: 0.01 } }));
			const study = await waitForStudy(platform.baseUrl, user.accessToken, id);
			expect(study.status).to.equal("failed");
			expect(study.error).to.match(/The first 3 trials all failed; .*not allowed to use this model/);
			expect((await trialsOf(platform.baseUrl, user.accessToken, id)).length).to.equal(3);
		});

		it("grades outputs with an LLM judge, paying for the grades within the budget", async () => {
			openai.script(req => (promptOf(req).startsWith("You grade answers") ? boundedReply(req, "8") : boundedReply(req, "Summary words")));
			const id = await createStudy(
				platform.baseUrl,
				user.accessToken,
				promptStudy({
					space: { model: ["openai:gpt-4o-mini"], max_tokens: [16, 32] },
					objectives: [{ metric: "judge", judge: "openai:gpt-4o-mini", criteria: "Is it a faithful one-sentence summary?" }],
					budget: { maxTrials: 2, maxCostUsd: 0.01 },
					sampler: "grid",
				})
			);
			const study = await waitForStudy(platform.baseUrl, user.accessToken, id);
			expect(study.status).to.equal("succeeded");
			expect(study.best.scores.judge).to.be.closeTo(7 / 9, 1e-12);
			// Both configurations gave the same outputs, so the second one's grades came from the result cache.
			expect(study.calls).to.equal(2 * dataset.length + dataset.length);
			const judged = openai.requests.filter(r => promptOf(r).startsWith("You grade answers"));
			expect(judged).to.have.length(dataset.length);
			expect(promptOf(judged[0])).to.include("Is it a faithful one-sentence summary?").and.include("<answer>\nSummary words\n</answer>");
			const trials = await trialsOf(platform.baseUrl, user.accessToken, id);
			expect(trials.map(t => [t.calls, t.cachedCalls])).to.deep.equal([
				[2 * dataset.length, 0],
				[dataset.length, dataset.length],
			]);
			expect(trials.reduce((sum, t) => sum + t.costUsd, 0)).to.be.closeTo(study.spentUsd, 1e-12);
		});
	});
}
