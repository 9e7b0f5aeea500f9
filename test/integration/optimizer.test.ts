import { expect } from "chai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { createStudy, summaryDataset, trialsOf, waitForStudy } from "./optimizer-fixtures.ts";

const STUDIES = "/api/v1/optimizer/studies";

/** The test's own Pareto check, independent of the service's: no other trial is at least as good everywhere and not equal. */
function expectedFront(trials: any[], atLeastAsGood: (a: any, b: any) => boolean, equal: (a: any, b: any) => boolean): number[] {
	const done = trials.filter(t => t.status === "succeeded");
	return done.filter(t => !done.some(o => o !== t && atLeastAsGood(o, t) && !equal(o, t))).map(t => t.number);
}

function sentenceCount(text: string): number {
	return text.split(/(?<=\.)\s+/).filter(Boolean).length;
}

async function uploadText(baseUrl: string, token: string, filename: string, text: string): Promise<string> {
	const form = new FormData();
	form.append("file", new Blob([text], { type: "text/plain" }), filename);
	const res = await fetch(`${baseUrl}/api/v1/documents`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
	const body = (await res.json()) as { id: string };
	expect(res.status, JSON.stringify(body)).to.equal(201);
	for (let i = 0; i < 100; i++) {
		const doc = await http(baseUrl, "GET", `/api/v1/documents/${body.id}`, { token });
		if (doc.body.status === "ready") return body.id;
		if (doc.body.status === "failed") throw new Error(`extraction failed: ${doc.text}`);
		await new Promise(r => setTimeout(r, 100));
	}
	throw new Error("document never became ready");
}

/** Reads server-sent events until the stream ends. */
async function readEvents(baseUrl: string, token: string, path: string): Promise<{ event: string; data: any }[]> {
	const res = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
	expect(res.status).to.equal(200);
	expect(res.headers.get("content-type")).to.match(/^text\/event-stream/);
	const text = await res.text();
	return text
		.split("\n\n")
		.map(block => ({ event: /^event: (.+)$/m.exec(block)?.[1], data: /^data: (.+)$/m.exec(block)?.[1] }))
		.filter(frame => frame.event && frame.data)
		.map(frame => ({ event: frame.event!, data: JSON.parse(frame.data!) }));
}

for (const backend of BACKENDS) {
	describe(`optimizer studies (${backend.name})`, function () {
		this.timeout(60_000);
		// A study is a batch of many calls; the per-user request limit is not what is under test here.
		const platform = usePlatform(backend, { env: { LLM_USER_REQUESTS_PER_MINUTE: "0" } });
		let alice: RegisteredUser;
		let bob: RegisteredUser;
		const dataset = summaryDataset(6);
		const summaryStudy = (overrides: object = {}) => ({
			name: "summary length",
			task: { type: "summary" },
			dataset,
			space: { model: ["local"], sentences: { min: 1, max: 10 } },
			objectives: [{ metric: "rougeL", direction: "maximize" }],
			sampler: "tpe",
			budget: { maxTrials: 6 },
			seed: 7,
			...overrides,
		});

		before(async () => {
			[alice, bob] = await Promise.all([registerUser(platform.baseUrl), registerUser(platform.baseUrl)]);
		});

		it("finds local-analyzer settings whose ROUGE-L beats the defaults, and re-runs from cache", async () => {
			const { baseUrl } = platform;
			const token = alice.accessToken;
			const baselineId = await createStudy(baseUrl, token, summaryStudy({ name: "defaults", space: { model: ["local"] } }));
			const baseline = await waitForStudy(baseUrl, token, baselineId);
			expect(baseline.status).to.equal("succeeded");
			expect(baseline.best.params).to.deep.equal({ model: "local" });
			const defaultRouge = baseline.best.scores.rougeL;

			const id = await createStudy(baseUrl, token, summaryStudy());
			const study = await waitForStudy(baseUrl, token, id);
			expect(study.status).to.equal("succeeded");
			expect(study.stopReason).to.equal("maxTrials");
			expect(study.progress).to.deep.equal({ done: 6, total: 6 });
			expect(study.best.scores.rougeL).to.be.above(defaultRouge + 0.1);
			expect(study.best.params.sentences).to.be.above(3);
			expect(study.spentUsd).to.equal(0);
			const trials = await trialsOf(baseUrl, token, id);
			expect(trials.map(t => t.number)).to.deep.equal([0, 1, 2, 3, 4, 5]);
			expect(new Set(trials.map(t => t.params.sentences)).size).to.equal(6);
			for (const trial of trials) expect(trial.status).to.be.oneOf(["succeeded", "pruned"]);
			expect(study.calls).to.equal(trials.reduce((sum, t) => sum + t.calls, 0));

			// The same study again: the same trials, every call read from the result cache.
			const againId = await createStudy(baseUrl, token, summaryStudy());
			const again = await waitForStudy(baseUrl, token, againId);
			expect(again.calls).to.equal(0);
			expect(again.best).to.deep.equal(study.best);
			const againTrials = await trialsOf(baseUrl, token, againId);
			expect(againTrials.map(t => t.params)).to.deep.equal(trials.map(t => t.params));
			for (const trial of againTrials) {
				expect(trial.calls).to.equal(0);
				expect(trial.cachedCalls).to.be.above(0);
			}

			// A larger budget pays only for the configurations not seen before.
			const widerId = await createStudy(baseUrl, token, summaryStudy({ budget: { maxTrials: 8 }, sampler: "grid", earlyStopping: false }));
			const wider = await waitForStudy(baseUrl, token, widerId);
			const widerTrials = await trialsOf(baseUrl, token, widerId);
			expect(widerTrials).to.have.length(8);
			const seen = new Set(trials.filter(t => t.status === "succeeded").map(t => t.params.sentences));
			const unseen = widerTrials.filter(t => !seen.has(t.params.sentences)).length;
			expect(wider.calls).to.be.at.most(unseen * dataset.length);
			expect(wider.calls).to.be.below(8 * dataset.length);
		});

		it("prunes trials clearly worse than the median on their first examples", async () => {
			const { baseUrl } = platform;
			const token = alice.accessToken;
			const id = await createStudy(
				baseUrl,
				token,
				summaryStudy({
					sampler: "grid",
					dataset: summaryDataset(8, 200),
					space: { model: ["local"], sentences: [10, 9, 8, 7, 2, 1] },
					budget: { maxTrials: 6 },
					earlyStopping: { afterExamples: 2, minTrials: 3, margin: 0.25 },
					seed: 4,
				})
			);
			const study = await waitForStudy(baseUrl, token, id);
			const trials = await trialsOf(baseUrl, token, id);
			const pruned = trials.filter(t => t.status === "pruned");
			// With this seed the grid reaches sentences 1 after three long summaries have finished.
			expect(pruned.map(t => t.params.sentences)).to.include(1);
			for (const trial of pruned) {
				expect(trial.calls + trial.cachedCalls).to.equal(2);
				expect(trial.params.sentences).to.be.below(7);
			}
			for (const trial of trials.filter(t => t.params.sentences >= 7)) expect(trial.status).to.equal("succeeded");
			// A pruned trial is never the best or on the front.
			expect(study.pareto.map((e: any) => e.trial)).to.not.include.members(pruned.map(t => t.number));
			expect(study.best.params.sentences).to.be.at.least(7);
		});

		it("stops at maxCalls and maxWallSeconds, saying why", async () => {
			const { baseUrl } = platform;
			const token = alice.accessToken;
			const callsId = await createStudy(baseUrl, token, summaryStudy({ dataset: summaryDataset(4, 300), budget: { maxTrials: 10, maxCalls: 6 }, earlyStopping: false, seed: 11 }));
			const limited = await waitForStudy(baseUrl, token, callsId);
			expect(limited.status).to.equal("succeeded");
			expect(limited.stopReason).to.equal("maxCalls");
			expect(limited.calls).to.equal(6);
			const trials = await trialsOf(baseUrl, token, callsId);
			expect(trials.map(t => t.status)).to.deep.equal(["succeeded", "stopped"]);
			expect(trials[1].error).to.match(/budget.maxCalls/);

			const wallId = await createStudy(baseUrl, token, summaryStudy({ dataset: summaryDataset(40, 400), budget: { maxTrials: 300, maxWallSeconds: 1 }, space: { model: ["local"], sentences: { min: 1, max: 50 } }, sampler: "random" }));
			const timed = await waitForStudy(baseUrl, token, wallId);
			expect(timed.status).to.equal("succeeded");
			expect(timed.stopReason).to.equal("maxWallSeconds");
			expect(timed.progress.done).to.be.below(50);
		});

		it("answers bad study definitions with 422 and a message that names the field", async () => {
			const { baseUrl } = platform;
			const token = alice.accessToken;
			const cases: [object, RegExp][] = [
				[{ dataset, objectives: [{ metric: "rougeL" }] }, /task must be an object like \{ "type": "summary" \}/],
				[{ task: { type: "summary" }, dataset: "all my texts", objectives: [{ metric: "rougeL" }] }, /dataset must be a non-empty array/],
				[summaryStudy({ objectives: [{ metric: "accuracy" }] }), /objectives\[0\]\.metric must be one of/],
				[summaryStudy({ space: { model: ["nosuch:model"] } }), /space\.model\[0\] names provider "nosuch"/],
				[summaryStudy({ space: { model: ["openai:gpt-4o-mini"] } }), /provider "openai", which is not configured/],
				[summaryStudy({ task: { type: "keywords" } }), /space\.sentences tunes the local analyzer's summary task/],
				[summaryStudy({ task: { type: "prompt", prompt: "Summarise" }, space: { model: ["local"] } }), /task\.prompt must contain \{\{input\}\}/],
				[summaryStudy({ dataset: [{ input: "text without reference" }] }), /dataset\[0\] has no reference/],
				[summaryStudy({ dataset: Array.from({ length: 101 }, () => ({ input: "x", reference: "x" })) }), /at most 100 are allowed/],
				[summaryStudy({ budget: { maxTrials: 10_000 } }), /budget\.maxTrials must be a whole number from 1 to 500/],
				[summaryStudy({ space: { temperature: { min: 2, max: 1 } } }), /space\.temperature min \(2\) is greater than max \(1\)/],
				[summaryStudy({ dataset: [{ documentId: "00000000-0000-4000-8000-000000000000", reference: "x" }] }), /dataset\[0\]\.documentId cannot be used: Document not found/],
			];
			for (const [body, message] of cases) {
				const res = await http(baseUrl, "POST", STUDIES, { token, body });
				expect(res.status, `${JSON.stringify(body).slice(0, 120)} -> ${res.text}`).to.equal(422);
				expect(res.body.error.type).to.equal("VALIDATION_ERROR");
				expect(res.body.error.message).to.match(message);
			}
			const notJson = await http(baseUrl, "POST", STUDIES, { token, raw: "{ not json", headers: { "content-type": "application/json" } });
			expect(notJson.status).to.equal(400);
			const list = await http(baseUrl, "GET", STUDIES, { token: bob.accessToken });
			expect(list.body.total).to.equal(0);
		});

		it("takes a dataset from uploaded documents", async () => {
			const { baseUrl } = platform;
			const token = bob.accessToken;
			const [first, second] = summaryDataset(2);
			const ids = [await uploadText(baseUrl, token, "one.txt", first.input), await uploadText(baseUrl, token, "two.txt", second.input)];
			const id = await createStudy(baseUrl, token, summaryStudy({ dataset: [{ documentId: ids[0], reference: first.reference }, { documentId: ids[1], reference: second.reference }], budget: { maxTrials: 3 } }));
			const study = await waitForStudy(baseUrl, token, id);
			expect(study.status).to.equal("succeeded");
			expect(study.best.scores.rougeL).to.be.above(0.3);
			// Alice cannot build a study on Bob's documents.
			const res = await http(baseUrl, "POST", STUDIES, { token: alice.accessToken, body: summaryStudy({ dataset: [{ documentId: ids[0], reference: "x" }] }) });
			expect(res.status).to.equal(422);
			expect(res.body.error.message).to.match(/dataset\[0\]\.documentId cannot be used: Document not found/);
		});

		it("estimates a dry run without creating a study", async () => {
			const { baseUrl } = platform;
			const res = await http(baseUrl, "POST", STUDIES, { token: bob.accessToken, body: { ...summaryStudy({ repeats: 2 }), dryRun: true } });
			expect(res.status).to.equal(200);
			expect(res.body).to.deep.equal({ estimate: { calls: 6 * 6 * 2, costUsd: 0, trials: 6 } });
			const before = (await http(baseUrl, "GET", STUDIES, { token: bob.accessToken })).body.total;
			const grid = await http(baseUrl, "POST", STUDIES, { token: bob.accessToken, body: { ...summaryStudy({ sampler: "grid", space: { sentences: [1, 2] }, budget: { maxTrials: 50 } }), dryRun: true } });
			expect(grid.body.estimate.calls).to.equal(2 * 6);
			expect((await http(baseUrl, "GET", STUDIES, { token: bob.accessToken })).body.total).to.equal(before);
		});

		it("keeps the Pareto front of ROUGE-L against summary length, and applies a chosen entry as a profile", async () => {
			const { baseUrl } = platform;
			const token = alice.accessToken;
			const id = await createStudy(
				baseUrl,
				token,
				summaryStudy({
					sampler: "grid",
					space: { model: ["local"], sentences: { min: 1, max: 10 } },
					objectives: [
						{ metric: "rougeL", direction: "maximize" },
						{ metric: "lengthWithin", max: 40, unit: "words", name: "brevity" },
					],
					budget: { maxTrials: 10 },
					earlyStopping: false,
				})
			);
			const study = await waitForStudy(baseUrl, token, id);
			const trials = await trialsOf(baseUrl, token, id);
			const atLeastAsGood = (a: any, b: any) => a.scores.rougeL >= b.scores.rougeL && a.scores.brevity >= b.scores.brevity;
			const equal = (a: any, b: any) => a.scores.rougeL === b.scores.rougeL && a.scores.brevity === b.scores.brevity;
			const front = expectedFront(trials, atLeastAsGood, equal);
			expect(study.pareto.map((e: any) => e.trial).sort()).to.deep.equal(front.sort());
			expect(front.length).to.be.above(1);
			expect(study.pareto.map((e: any) => e.trial)).to.include(study.best.trial);

			// Apply a Pareto entry other than the best, then use the profile through the llm service.
			const chosen = study.pareto.find((e: any) => e.trial !== study.best.trial);
			const applied = await http(baseUrl, "POST", `${STUDIES}/${id}/apply`, { token, body: { profile: "brief-summary", trial: chosen.trial } });
			expect(applied.status, applied.text).to.equal(200);
			expect(applied.body.profile).to.include({ name: "brief-summary", strategy: "single", studyId: id });
			expect(applied.body.profile.providers).to.deep.equal(["local"]);
			expect(applied.body.profile.params).to.deep.equal({ sentences: chosen.params.sentences });
			const completion = await http(baseUrl, "POST", "/api/v1/llm/complete", { token, body: { profile: "brief-summary", task: { types: ["summary"], input: dataset[0].input } } });
			expect(completion.status, completion.text).to.equal(200);
			expect(sentenceCount(completion.body.data.summary)).to.equal(chosen.params.sentences);

			// Apply the best under the same name: the profile is replaced.
			const best = await http(baseUrl, "POST", `${STUDIES}/${id}/apply`, { token, body: { profile: "brief-summary" } });
			expect(best.body.profile.params).to.deep.equal({ sentences: study.best.params.sentences });
			const notOnFront = trials.find(t => !front.includes(t.number));
			if (notOnFront) {
				const refused = await http(baseUrl, "POST", `${STUDIES}/${id}/apply`, { token, body: { profile: "x", trial: notOnFront.number } });
				expect(refused.status).to.equal(422);
				expect(refused.body.error.message).to.match(/is not on the study's Pareto front/);
			}
			const badName = await http(baseUrl, "POST", `${STUDIES}/${id}/apply`, { token, body: { profile: "no spaces please" } });
			expect(badName.status).to.equal(422);

			const profiles = await http(baseUrl, "GET", "/api/v1/profiles", { token });
			expect(profiles.body.items.map((p: any) => p.name)).to.include("brief-summary");
			// Profiles are per user: Bob neither sees nor uses Alice's.
			const bobs = await http(baseUrl, "GET", "/api/v1/profiles", { token: bob.accessToken });
			expect(bobs.body.items.map((p: any) => p.name)).to.not.include("brief-summary");
			const bobUses = await http(baseUrl, "POST", "/api/v1/llm/complete", { token: bob.accessToken, body: { profile: "brief-summary", task: { types: ["summary"], input: "A. B." } } });
			expect(bobUses.status).to.equal(404);
			expect((await http(baseUrl, "DELETE", "/api/v1/profiles/brief-summary", { token })).status).to.equal(204);
			expect((await http(baseUrl, "DELETE", "/api/v1/profiles/brief-summary", { token })).status).to.equal(404);
		});

		it("streams each trial as it completes and ends with the study", async () => {
			const { baseUrl } = platform;
			const token = bob.accessToken;
			const id = await createStudy(baseUrl, token, summaryStudy({ sampler: "random", budget: { maxTrials: 4 }, seed: 99 }));
			const events = await readEvents(baseUrl, token, `${STUDIES}/${id}/events`);
			const trialEvents = events.filter(e => e.event === "trial");
			expect(trialEvents.map(e => e.data.number)).to.deep.equal([0, 1, 2, 3]);
			for (const e of trialEvents) expect(e.data).to.include.keys("params", "scores", "status", "costUsd");
			const done = events.at(-1)!;
			expect(done.event).to.equal("done");
			expect(done.data.status).to.equal("succeeded");
			expect(done.data.progress).to.deep.equal({ done: 4, total: 4 });
			expect(events.some(e => e.event === "progress")).to.equal(true);
			// A finished study's stream replays its trials and ends at once.
			const replay = await readEvents(baseUrl, token, `${STUDIES}/${id}/events`);
			expect(replay.filter(e => e.event === "trial")).to.have.length(4);
		});

		it("cancels a running study, which then stays cancelled", async () => {
			const { baseUrl } = platform;
			const token = bob.accessToken;
			const id = await createStudy(baseUrl, token, summaryStudy({ dataset: summaryDataset(60, 500), space: { model: ["local"], sentences: { min: 1, max: 50 } }, budget: { maxTrials: 50 }, sampler: "random", earlyStopping: false }));
			await waitForStudy(baseUrl, token, id, s => s.progress.done >= 1);
			const cancelled = await http(baseUrl, "POST", `${STUDIES}/${id}/cancel`, { token });
			expect(cancelled.status, cancelled.text).to.equal(200);
			expect(cancelled.body.status).to.equal("cancelled");
			await new Promise(r => setTimeout(r, 500));
			const trials = await trialsOf(baseUrl, token, id);
			expect(trials.length).to.be.below(50);
			expect(trials.filter(t => t.status === "running")).to.deep.equal([]);
			await new Promise(r => setTimeout(r, 500));
			expect(await trialsOf(baseUrl, token, id)).to.have.length(trials.length);
			const study = (await http(baseUrl, "GET", `${STUDIES}/${id}`, { token })).body;
			expect(study.status).to.equal("cancelled");
			const again = await http(baseUrl, "POST", `${STUDIES}/${id}/cancel`, { token });
			expect(again.status).to.equal(409);
		});

		it("shows a study only to its owner", async () => {
			const { baseUrl } = platform;
			const id = await createStudy(baseUrl, alice.accessToken, summaryStudy({ budget: { maxTrials: 1 } }));
			await waitForStudy(baseUrl, alice.accessToken, id);
			for (const [method, path] of [
				["GET", `${STUDIES}/${id}`],
				["GET", `${STUDIES}/${id}/trials`],
				["GET", `${STUDIES}/${id}/events`],
				["POST", `${STUDIES}/${id}/cancel`],
				["POST", `${STUDIES}/${id}/apply`],
				["GET", `${STUDIES}/not-a-uuid`],
			] as const) {
				const res = await http(baseUrl, method, path, { token: bob.accessToken, body: method === "POST" ? { profile: "p" } : undefined });
				expect(res.status, `${method} ${path}`).to.equal(404);
				expect(res.body.error.type).to.equal("NOT_FOUND");
			}
			expect((await http(baseUrl, "GET", `${STUDIES}/${id}`)).status).to.equal(401);
		});

		describe("DELETE /api/v1/profiles/:name refuses what it must not delete", () => {
			const NAME = "shared-name";
			const profilesOf = async (token: string) => {
				const res = await http(platform.baseUrl, "GET", "/api/v1/profiles", { token });
				expect(res.status, res.text).to.equal(200);
				return res.body.items as any[];
			};
			const remove = (name: string, token?: string) => http(platform.baseUrl, "DELETE", `/api/v1/profiles/${name}`, { token });
			let alicesBefore: any[];

			/** A one-trial study of the user's, applied as the profile `name`. */
			async function saveProfile(token: string, name: string, sentences: number) {
				const id = await createStudy(platform.baseUrl, token, summaryStudy({ space: { model: ["local"], sentences: [sentences] }, sampler: "grid", budget: { maxTrials: 1 } }));
				expect((await waitForStudy(platform.baseUrl, token, id)).status).to.equal("succeeded");
				const applied = await http(platform.baseUrl, "POST", `${STUDIES}/${id}/apply`, { token, body: { profile: name } });
				expect(applied.status, applied.text).to.equal(200);
			}

			before(async () => {
				// The same name for both users, with different values.
				await saveProfile(alice.accessToken, NAME, 2);
				await saveProfile(bob.accessToken, NAME, 4);
				alicesBefore = await profilesOf(alice.accessToken);
				expect(alicesBefore.find(p => p.name === NAME)?.params).to.deep.equal({ sentences: 2 });
			});

			it("answers 404 to a name only another user has, and that user keeps the profile", async () => {
				const carol = await registerUser(platform.baseUrl);
				const res = await remove(NAME, carol.accessToken);
				expect(res.status, res.text).to.equal(404);
				expect(res.body.error).to.deep.equal({ type: "NOT_FOUND", message: "Profile not found", code: 404 });
				expect(await profilesOf(alice.accessToken)).to.deep.equal(alicesBefore);
				expect((await profilesOf(bob.accessToken)).map(p => p.name)).to.include(NAME);
			});

			it("deletes only the caller's own profile of a name another user also has", async () => {
				const bobsBefore = await profilesOf(bob.accessToken);
				expect((await remove(NAME, bob.accessToken)).status).to.equal(204);
				expect(await profilesOf(bob.accessToken)).to.deep.equal(bobsBefore.filter(p => p.name !== NAME));
				expect(await profilesOf(alice.accessToken)).to.deep.equal(alicesBefore);
				// Bob's is gone for Bob: a second delete is 404, and Alice's is still untouched.
				const again = await remove(NAME, bob.accessToken);
				expect(again.status).to.equal(404);
				expect(again.body.error.type).to.equal("NOT_FOUND");
				expect(await profilesOf(alice.accessToken)).to.deep.equal(alicesBefore);
				const used = await http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token: alice.accessToken, body: { profile: NAME, task: { types: ["summary"], input: dataset[0].input } } });
				expect(used.status, used.text).to.equal(200);
			});

			const malformed: [string, string, string][] = [
				["a name over 64 characters", "a".repeat(65), "stringMax"],
				["a name with a space", encodeURIComponent("shared name"), "stringPattern"],
				["a name starting with a dash", "-shared-name", "stringPattern"],
				["a name with a slash", encodeURIComponent("shared/name"), "stringPattern"],
				// Refused at the gateway, before the service's own validation.
				["a name with a NUL byte", "shared%00name", "stringNul"],
				["a name with a letter outside ASCII", encodeURIComponent("sharéd-name"), "stringPattern"],
			];
			for (const [what, name, rule] of malformed) {
				it(`answers 422 VALIDATION_ERROR to ${what}, deleting nothing`, async () => {
					const res = await remove(name, alice.accessToken);
					expect(res.status, res.text).to.equal(422);
					expect(res.body.error).to.include({ type: "VALIDATION_ERROR", code: 422 });
					expect(res.body.error.details?.[0]).to.include({ field: "name", type: rule });
					expect(await profilesOf(alice.accessToken)).to.deep.equal(alicesBefore);
				});
			}

			it("answers 404 to an unknown name and 401 without a token, deleting nothing", async () => {
				const unknown = await remove("no-such-profile", alice.accessToken);
				expect(unknown.status).to.equal(404);
				expect(unknown.body.error).to.deep.equal({ type: "NOT_FOUND", message: "Profile not found", code: 404 });
				// 64 characters is still a name: unknown, not malformed.
				const longest = await remove("a".repeat(64), alice.accessToken);
				expect(longest.status).to.equal(404);
				expect(longest.body.error.type).to.equal("NOT_FOUND");
				for (const token of [undefined, "not-a-token"]) {
					const res = await remove(NAME, token);
					expect(res.status).to.equal(401);
					expect(res.body.error).to.include({ type: "UNAUTHORIZED", code: 401 });
				}
				expect(await profilesOf(alice.accessToken)).to.deep.equal(alicesBefore);
			});
		});
	});
}
