import { expect } from "chai";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { closeAll, fakeProviderEnv, startFakeProviders, type FakeProvider } from "../helpers/fake-providers/index.ts";
import { answerAnalyses, finishedAnalysis, parseEventStream, reportPages } from "../helpers/analyses.ts";
import { pdfDocument, uploadAndExtract, uploadFile } from "../helpers/documents.ts";
import type { AnalysisData } from "../../shared/contracts/llm.ts";

/** /metrics answers only this bearer token (METRICS_TOKEN). */
const METRICS_TOKEN = "analyses-test-metrics-token-0123456789abcdef";

const PDF = "application/pdf";

/** What each fake says: they agree on some terms and on the mood, and differ elsewhere. */
const ANSWERS: Record<"openai" | "anthropic" | "gemini", AnalysisData> = {
	openai: {
		summary: "The report covers solar energy, battery storage and grid planning across European cities.",
		key_points: ["Costs fell every quarter", "Reliability improved"],
		keywords: ["solar", "battery", "grid", "openai-only"],
		entities: [{ type: "person", text: "Ada Lovelace" }, { type: "organization", text: "Acme Corp" }],
		sentiment: { label: "positive", score: 0.8 },
		topics: ["energy", "infrastructure"],
	},
	anthropic: {
		summary: "The report covers solar energy, battery storage and wind farms in European cities.",
		key_points: ["Costs fell", "More panels were installed"],
		keywords: ["Solar", "battery", "wind", "anthropic-only"],
		entities: [{ type: "person", text: "Ada Lovelace" }],
		sentiment: { label: "positive", score: 0.6 },
		topics: ["energy", "climate"],
	},
	gemini: {
		summary: "Quarterly installation numbers went up.",
		key_points: ["Installations rose"],
		keywords: ["solar", "grid", "gemini-only"],
		entities: [{ type: "other", text: "Acme Corp" }],
		sentiment: { label: "negative", score: -0.5 },
		topics: ["infrastructure", "finance"],
	},
};

const THREE = ["openai", "anthropic", "gemini"] as const;

for (const backend of BACKENDS) {
	describe(`document analyses (${backend.name})`, function () {
		this.timeout(60_000);
		let fakes: Record<(typeof THREE)[number], FakeProvider>;
		let alice: RegisteredUser;
		let bob: RegisteredUser;
		let pdf: Buffer;
		const platform = usePlatform(backend, async () => {
			fakes = await startFakeProviders();
			return { env: { ...fakeProviderEnv(fakes), METRICS_TOKEN } };
		});

		const scriptAll = () => {
			for (const name of THREE) answerAnalyses(fakes[name], ANSWERS[name]);
		};
		const post = (documentId: string, body: unknown, token = alice.accessToken) => http(platform.baseUrl, "POST", `/api/v1/documents/${documentId}/analyses`, { token, body });
		const requestsTo = (name: (typeof THREE)[number]) => fakes[name].requests.length;

		before(async () => {
			[alice, bob] = await Promise.all([registerUser(platform.baseUrl), registerUser(platform.baseUrl)]);
			pdf = await pdfDocument(reportPages(6));
		});

		beforeEach(() => {
			for (const name of THREE) fakes[name].reset();
			scriptAll();
		});

		after(async () => {
			if (fakes) await closeAll(fakes);
		});

		it("analyses a multi-page document with three providers in parallel: three stored results and a consensus", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "report.pdf", type: PDF, bytes: pdf });
			expect(doc.status).to.equal("ready");

			const created = await post(doc.id, { providers: [...THREE] });
			expect(created.status, created.text).to.equal(202);
			expect(created.body.status).to.equal("queued");
			expect(created.headers.get("location")).to.equal(`/api/v1/analyses/${created.body.id}`);

			const analysis = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id);
			expect(analysis.status, JSON.stringify(analysis)).to.equal("succeeded");
			expect(analysis.cached).to.equal(false);
			expect(analysis.options.strategy).to.equal("parallel");
			expect(analysis.results.map((r: any) => r.provider).sort()).to.deep.equal([...THREE].sort());
			for (const result of analysis.results) {
				expect(result.error, `${result.provider}: ${JSON.stringify(result.error)}`).to.equal(undefined);
				const expected = ANSWERS[result.provider as (typeof THREE)[number]];
				expect(result.output.summary).to.equal(expected.summary);
				expect(result.output.sentiment).to.deep.equal(expected.sentiment);
				expect(result.usage.inputTokens).to.be.greaterThan(0);
				// Map-reduce: several batches of chunks, then one summary of the summaries.
				expect(result.calls, result.provider).to.be.at.least(3);
				expect(requestsTo(result.provider), result.provider).to.equal(result.calls);
			}
			const totalInput = analysis.results.reduce((sum: number, r: any) => sum + r.usage.inputTokens, 0);
			expect(analysis.usage.inputTokens).to.equal(totalInput);
			expect(analysis.costUsd).to.be.closeTo(analysis.results.reduce((sum: number, r: any) => sum + r.costUsd, 0), 1e-6);
			expect(analysis.progress.done).to.equal(analysis.progress.total);
			expect(analysis.progress.total).to.equal(analysis.results.reduce((sum: number, r: any) => sum + r.calls, 0));
			expect(analysis.completedAt).to.be.a("string");

			const consensus = analysis.consensus;
			expect(consensus.providers).to.have.length(3);
			expect(consensus.keywords.map((k: string) => k.toLowerCase())).to.deep.equal(["solar", "battery", "grid"]);
			expect(consensus.topics).to.have.members(["energy", "infrastructure"]);
			expect(consensus.entities.map((e: any) => e.text)).to.have.members(["Ada Lovelace", "Acme Corp"]);
			expect(consensus.sentiment).to.deep.equal({ label: "positive", score: 0.7, votes: 2 });
			expect(consensus.summary.provider).to.match(/^(openai|anthropic):/);
			expect(consensus.agreement).to.be.within(0, 1);

			const listed = await http(platform.baseUrl, "GET", `/api/v1/documents/${doc.id}/analyses`, { token: alice.accessToken });
			expect(listed.status).to.equal(200);
			expect(listed.body.total).to.equal(1);
			expect(listed.body.items[0]).to.include({ id: analysis.id, status: "succeeded" });
		});

		it("answers the same document, options and provider set from the stored result, unless refresh is asked", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "cached.pdf", type: PDF, bytes: await pdfDocument(reportPages(2)) });
			const options = { providers: ["openai", "anthropic"], tasks: ["summary", "keywords"] };
			const first = await post(doc.id, options);
			const original = await finishedAnalysis(platform.baseUrl, alice.accessToken, first.body.id);
			expect(original.status).to.equal("succeeded");
			const calls = requestsTo("openai") + requestsTo("anthropic");

			// Same set in another order, tasks in another order: the same analysis.
			const again = await post(doc.id, { providers: ["anthropic", "openai"], tasks: ["keywords", "summary"] });
			expect(again.status).to.equal(202);
			expect(again.body).to.include({ status: "succeeded", cached: true });
			expect(again.body.id).to.not.equal(original.id);
			const cached = (await http(platform.baseUrl, "GET", `/api/v1/analyses/${again.body.id}`, { token: alice.accessToken })).body;
			expect(cached.cached).to.equal(true);
			expect(cached.results).to.deep.equal(original.results);
			expect(requestsTo("openai") + requestsTo("anthropic"), "a cached answer calls no provider").to.equal(calls);

			// Different options are a different analysis.
			const other = await post(doc.id, { ...options, tasks: ["summary"] });
			expect(other.body.cached).to.equal(false);
			await finishedAnalysis(platform.baseUrl, alice.accessToken, other.body.id);

			const refreshed = await post(doc.id, { ...options, refresh: true });
			expect(refreshed.body).to.include({ status: "queued", cached: false });
			expect((await finishedAnalysis(platform.baseUrl, alice.accessToken, refreshed.body.id)).cached).to.equal(false);
		});

		it("keeps a provider's mid-way failure in its own result and the other results intact", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "failing.pdf", type: PDF, bytes: await pdfDocument(reportPages(6, 720)) });
			// Anthropic answers its first call, then refuses every later one.
			fakes.anthropic.script({ text: JSON.stringify(ANSWERS.anthropic) }, { status: 400, message: "context policy violation" });

			const created = await post(doc.id, { providers: [...THREE] });
			const analysis = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id);
			expect(analysis.status).to.equal("succeeded");
			const byProvider = Object.fromEntries(analysis.results.map((r: any) => [r.provider, r]));
			expect(byProvider.anthropic.error.message).to.match(/context policy violation/);
			expect(byProvider.anthropic.calls).to.be.at.least(1);
			for (const name of ["openai", "gemini"]) {
				expect(byProvider[name].error).to.equal(undefined);
				expect(byProvider[name].output.summary).to.equal(ANSWERS[name as "openai" | "gemini"].summary);
			}
			expect(analysis.consensus.providers).to.have.length(2);

			// A result with a provider error is never served from the store: asking again runs again.
			scriptAll();
			const again = await post(doc.id, { providers: [...THREE] });
			expect(again.body.cached).to.equal(false);
			const rerun = await finishedAnalysis(platform.baseUrl, alice.accessToken, again.body.id);
			expect(rerun.results.every((r: any) => !r.error)).to.equal(true);
		});

		it("fails an analysis every provider failed, with the reasons", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "doomed.txt", type: "text/plain", bytes: reportPages(1, 120)[0] });
			fakes.openai.script({ status: 400, message: "model refuses" });
			const created = await post(doc.id, { providers: ["openai"], tasks: ["summary"] });
			const analysis = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id, 45_000);
			expect(analysis.status).to.equal("failed");
			expect(analysis.error).to.match(/Every provider failed: openai: .*model refuses/);
			expect(analysis.error).to.match(/gave up after 3 attempts/);
		});

		it("runs the offline analyzer end to end, with a result that matches the schema", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "local.pdf", type: PDF, bytes: pdf });
			const created = await post(doc.id, { providers: ["local"], tasks: ["summary", "keywords", "entities", "sentiment", "topics", "statistics"] });
			const analysis = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id);
			expect(analysis.status).to.equal("succeeded");
			const [result] = analysis.results;
			expect(result.error, JSON.stringify(result.error)).to.equal(undefined);
			expect(result.provider).to.equal("local");
			expect(result.output.summary).to.be.a("string").and.not.empty;
			expect(result.output.keywords).to.be.an("array").and.not.empty;
			expect(result.output.statistics.words).to.be.greaterThan(3000);
			expect(analysis.consensus).to.equal(null);
			expect(analysis.costUsd).to.equal(0);
		});

		it("answers a custom question about the document", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "question.txt", type: "text/plain", bytes: reportPages(1, 200)[0] });
			answerAnalyses(fakes.openai, { answer: "In Seville." });
			const created = await post(doc.id, { providers: ["openai"], question: "Where was the solar team based?" });
			const analysis = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id);
			expect(analysis.options.tasks).to.deep.equal(["question"]);
			expect(analysis.results[0].output.answer).to.equal("In Seville.");
		});

		it("takes providers, strategy and params from a saved optimizer profile, the request's own params on top", async () => {
			const study = await http(platform.baseUrl, "POST", "/api/v1/optimizer/studies", {
				token: alice.accessToken,
				body: {
					name: "short summaries",
					task: { type: "summary" },
					dataset: [{ input: reportPages(1, 200)[0], reference: "The solar energy team in Seville installed new panels." }],
					space: { model: ["local:extractive"], sentences: { min: 1, max: 2, int: true } },
					objectives: [{ metric: "rougeL", direction: "maximize" }],
					sampler: "random",
					budget: { maxTrials: 2 },
					seed: 3,
				},
			});
			expect(study.status, study.text).to.equal(202);
			for (let i = 0; i < 200; i++) {
				const { body } = await http(platform.baseUrl, "GET", `/api/v1/optimizer/studies/${study.body.id}`, { token: alice.accessToken });
				if (!["queued", "running"].includes(body.status)) break;
				await new Promise(r => setTimeout(r, 50));
			}
			const applied = await http(platform.baseUrl, "POST", `/api/v1/optimizer/studies/${study.body.id}/apply`, { token: alice.accessToken, body: { profile: "short" } });
			expect(applied.status, applied.text).to.equal(200);

			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "profiled.txt", type: "text/plain", bytes: reportPages(2, 300).join("\n\n") });
			const created = await post(doc.id, { profile: "short", params: { keywords: 4 } });
			expect(created.status, created.text).to.equal(202);
			const analysis = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id);
			expect(analysis.status).to.equal("succeeded");
			const profile = applied.body.profile;
			expect(analysis.options).to.deep.include({ providers: profile.providers, strategy: profile.strategy, profile: "short" });
			expect(analysis.options.params).to.deep.equal({ ...profile.params, keywords: 4 });
			expect(analysis.results.map((r: any) => r.provider)).to.deep.equal(["local"]);
			expect(analysis.results[0].output.keywords.length).to.be.at.most(4);
			// Profiles are per user: Bob has none of that name.
			const bobs = await uploadAndExtract(platform.baseUrl, bob.accessToken, { name: "bob.txt", type: "text/plain", bytes: "Bob's short note about wind farms." });
			const refused = await post(bobs.id, { profile: "short" }, bob.accessToken);
			expect(refused.status).to.equal(422);
			expect(refused.body.error.message).to.equal('Unknown profile "short"');
		});

		it("streams progress as server-sent events and ends the stream with the analysis", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "stream.pdf", type: PDF, bytes: pdf });
			for (const name of THREE) answerAnalyses(fakes[name], ANSWERS[name], { delayMs: 100 });
			const created = await post(doc.id, { providers: [...THREE], params: { temperature: 0.3 } });
			const res = await http(platform.baseUrl, "GET", `/api/v1/analyses/${created.body.id}/events`, { token: alice.accessToken });
			expect(res.status).to.equal(200);
			expect(res.headers.get("content-type")).to.match(/^text\/event-stream/);
			const events = parseEventStream(res.text);
			const progress = events.filter(e => e.event === "progress");
			expect(progress.length, res.text).to.be.at.least(3);
			expect(progress.some(e => e.data.status === "running" && e.data.progress.done > 0 && e.data.progress.done < e.data.progress.total)).to.equal(true);
			const done = events.at(-1)!;
			expect(done.event).to.equal("done");
			expect(done.data.status).to.equal("succeeded");
			expect(done.data.results).to.have.length(3);

			// A finished analysis: one progress event, then done, at once.
			const replay = parseEventStream((await http(platform.baseUrl, "GET", `/api/v1/analyses/${created.body.id}/events`, { token: alice.accessToken })).text);
			expect(replay.map(e => e.event)).to.deep.equal(["progress", "done"]);
		});

		it("closes a progress stream when its client leaves", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "leave.txt", type: "text/plain", bytes: reportPages(1, 300)[0] });
			answerAnalyses(fakes.openai, ANSWERS.openai, { delayMs: 3_000 });
			const created = await post(doc.id, { providers: ["openai"], params: { temperature: 0.4 } });
			const openStreams = async () => Number(/^platform_analyses_streams_open(?:\{[^}]*\})? (\d+)/m.exec((await http(platform.baseUrl, "GET", "/metrics", { token: METRICS_TOKEN })).text)?.[1] ?? 0);

			const client = new AbortController();
			const res = await fetch(`${platform.baseUrl}/api/v1/analyses/${created.body.id}/events`, { headers: { authorization: `Bearer ${alice.accessToken}` }, signal: client.signal });
			const reader = res.body!.getReader();
			await reader.read();
			expect(await openStreams()).to.equal(1);
			client.abort();
			let open = 1;
			for (let i = 0; i < 100 && open > 0; i++) {
				await new Promise(r => setTimeout(r, 20));
				open = await openStreams();
			}
			expect(open).to.equal(0);
		});

		it("cancels a running analysis", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "cancel.txt", type: "text/plain", bytes: reportPages(1, 300)[0] });
			answerAnalyses(fakes.openai, ANSWERS.openai, { delayMs: 5_000 });
			const created = await post(doc.id, { providers: ["openai"], params: { temperature: 0.5 } });
			for (let i = 0; i < 100 && requestsTo("openai") === 0; i++) await new Promise(r => setTimeout(r, 20));
			const cancelled = await http(platform.baseUrl, "POST", `/api/v1/analyses/${created.body.id}/cancel`, { token: alice.accessToken });
			expect(cancelled.status).to.equal(200);
			expect(cancelled.body.status).to.equal("cancelled");
			const again = await http(platform.baseUrl, "POST", `/api/v1/analyses/${created.body.id}/cancel`, { token: alice.accessToken });
			expect(again.status).to.equal(409);
			const other = await http(platform.baseUrl, "POST", `/api/v1/analyses/${created.body.id}/cancel`, { token: bob.accessToken });
			expect(other.status).to.equal(404);
		});

		it("analyses an upload made with analyze=true on its own", async () => {
			const upload = await uploadFile(platform.baseUrl, alice.accessToken, { name: "auto.txt", type: "text/plain", bytes: reportPages(1, 150)[0] }, { fields: { analyze: "true" } });
			expect(upload.status, upload.text).to.equal(201);
			let items: any[] = [];
			for (let i = 0; i < 200 && items.length === 0; i++) {
				await new Promise(r => setTimeout(r, 50));
				items = (await http(platform.baseUrl, "GET", `/api/v1/documents/${upload.body.id}/analyses`, { token: alice.accessToken })).body.items ?? [];
			}
			expect(items).to.have.length(1);
			const analysis = await finishedAnalysis(platform.baseUrl, alice.accessToken, items[0].id);
			expect(analysis.status).to.equal("succeeded");
			// The configured providers (the three fakes here), side by side.
			expect(analysis.results.map((r: any) => r.provider).sort()).to.deep.equal([...THREE].sort());
		});

		it("deletes a document's analyses with the document", async () => {
			const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "deleted.txt", type: "text/plain", bytes: reportPages(1, 150)[0] });
			const finished = await post(doc.id, { providers: ["local"] });
			await finishedAnalysis(platform.baseUrl, alice.accessToken, finished.body.id);
			answerAnalyses(fakes.openai, ANSWERS.openai, { delayMs: 5_000 });
			const running = await post(doc.id, { providers: ["openai"], params: { temperature: 0.6 } });
			expect((await http(platform.baseUrl, "DELETE", `/api/v1/documents/${doc.id}`, { token: alice.accessToken })).status).to.equal(204);
			for (const id of [finished.body.id, running.body.id]) {
				let status = 200;
				for (let i = 0; i < 100 && status === 200; i++) {
					await new Promise(r => setTimeout(r, 20));
					status = (await http(platform.baseUrl, "GET", `/api/v1/analyses/${id}`, { token: alice.accessToken })).status;
				}
				expect(status, id).to.equal(404);
			}
		});

		describe("POST /api/v1/analyses/:id/cancel refuses what it must not cancel", () => {
			const cancel = (id: string, token?: string) => http(platform.baseUrl, "POST", `/api/v1/analyses/${id}/cancel`, { token });
			const read = async (id: string) => {
				const res = await http(platform.baseUrl, "GET", `/api/v1/analyses/${id}`, { token: alice.accessToken });
				expect(res.status, res.text).to.equal(200);
				return res.body;
			};
			/** Alice's analysis with one slow provider, once its first call has reached the provider. */
			async function runningAnalysis(temperature: number): Promise<string> {
				const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: `slow-${temperature}.txt`, type: "text/plain", bytes: reportPages(1, 300)[0] });
				answerAnalyses(fakes.openai, ANSWERS.openai, { delayMs: 5_000 });
				const created = await post(doc.id, { providers: ["openai"], params: { temperature } });
				expect(created.status, created.text).to.equal(202);
				for (let i = 0; i < 100 && requestsTo("openai") === 0; i++) await new Promise(r => setTimeout(r, 20));
				expect((await read(created.body.id)).status).to.be.oneOf(["queued", "running"]);
				return created.body.id;
			}

			it("answers 404 to another user and 401 without a token, and the analysis runs on for its owner", async () => {
				const id = await runningAnalysis(0.71);
				for (const [who, token, status, type] of [
					["bob", bob.accessToken, 404, "NOT_FOUND"],
					["nobody", undefined, 401, "UNAUTHORIZED"],
					["a forged token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", 401, "UNAUTHORIZED"],
				] as const) {
					const res = await cancel(id, token);
					expect(res.status, who).to.equal(status);
					expect(res.body.error, who).to.include({ type, code: status });
					expect(res.text, who).not.to.include(alice.user.id);
				}
				const after = await read(id);
				expect(after.status).to.be.oneOf(["queued", "running"]);
				expect(after.completedAt).to.equal(null);
				// Its owner still can.
				const own = await cancel(id, alice.accessToken);
				expect(own.status, own.text).to.equal(200);
				expect(own.body.status).to.equal("cancelled");
			});

			it("answers 404 to a malformed id and an unknown id, 422 to an over-long one, and changes nothing", async () => {
				const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "untouched.txt", type: "text/plain", bytes: reportPages(1, 120)[0] });
				const created = await post(doc.id, { providers: ["local"], params: { sentences: 2 } });
				const done = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id);
				expect(done.status).to.equal("succeeded");
				for (const [id, status, type] of [
					["not-a-uuid", 404, "NOT_FOUND"],
					[encodeURIComponent("' OR 1=1 --"), 404, "NOT_FOUND"],
					[created.body.id.toUpperCase().replace(/-/g, ""), 404, "NOT_FOUND"],
					[crypto.randomUUID(), 404, "NOT_FOUND"],
					["a".repeat(65), 422, "VALIDATION_ERROR"],
				] as const) {
					const res = await cancel(id, alice.accessToken);
					expect(res.status, `${id}: ${res.text}`).to.equal(status);
					expect(res.body.error, id).to.include({ type, code: status });
				}
				expect(await read(created.body.id)).to.deep.equal(done);
				const listed = await http(platform.baseUrl, "GET", `/api/v1/documents/${doc.id}/analyses`, { token: alice.accessToken });
				expect(listed.body.items.map((a: any) => [a.id, a.status])).to.deep.equal([[created.body.id, "succeeded"]]);
			});

			it("answers 409 CONFLICT to a finished analysis (docs/analyses.md), which keeps its results", async () => {
				const doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "finished.txt", type: "text/plain", bytes: reportPages(1, 120)[0] });
				const created = await post(doc.id, { providers: ["local"], params: { sentences: 3 } });
				const done = await finishedAnalysis(platform.baseUrl, alice.accessToken, created.body.id);
				expect(done.status).to.equal("succeeded");
				const res = await cancel(created.body.id, alice.accessToken);
				expect(res.status, res.text).to.equal(409);
				expect(res.body.error).to.deep.equal({ type: "CONFLICT", message: "The analysis has already finished", code: 409 });
				expect(await read(created.body.id)).to.deep.equal(done);
				// Another user still learns nothing: not even that it has ended.
				const bobs = await cancel(created.body.id, bob.accessToken);
				expect(bobs.status).to.equal(404);
				expect(bobs.body.error.type).to.equal("NOT_FOUND");
			});

			it("answers 409 CONFLICT to a second cancel, saying it was cancelled", async () => {
				const id = await runningAnalysis(0.72);
				expect((await cancel(id, alice.accessToken)).status).to.equal(200);
				const cancelled = await read(id);
				const again = await cancel(id, alice.accessToken);
				expect(again.status, again.text).to.equal(409);
				expect(again.body.error).to.deep.equal({ type: "CONFLICT", message: "The analysis has already been cancelled", code: 409 });
				expect(await read(id)).to.deep.equal(cancelled);
			});
		});

		describe("refuses bad requests clearly", () => {
			let doc: { id: string };
			before(async () => {
				doc = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "small.txt", type: "text/plain", bytes: "A short note about solar panels in Seville." });
			});

			const refusals: [string, unknown, number, RegExp][] = [
				["an unknown provider", { providers: ["openai", "skynet"] }, 422, /Unknown provider "skynet"; choose from .*openai/],
				["an unknown task", { tasks: ["summary", "horoscope"] }, 422, /Unknown task "horoscope"; choose from .*summary/],
				["a question task without the question", { tasks: ["question"] }, 422, /needs the question/],
				["an unknown strategy", { providers: ["openai"], strategy: "vote-by-dice" }, 422, /Unknown strategy "vote-by-dice"/],
				["a misspelt option", { provider: ["openai"] }, 422, /provider/],
				["a provider entry naming no model", { providers: ["openai:"] }, 422, /names no model/],
				["an out-of-range parameter", { params: { temperature: 7 } }, 422, /temperature/],
				["an unknown parameter", { params: { temprature: 0.2 } }, 422, /temprature/],
				["an unknown profile", { profile: "does-not-exist" }, 422, /Unknown profile "does-not-exist"/],
				["tasks that are not a list", { tasks: "summary" }, 422, /tasks/],
			];
			for (const [what, body, status, message] of refusals) {
				it(`answers ${status} to ${what}`, async () => {
					const res = await post(doc.id, body);
					expect(res.status, res.text).to.equal(status);
					expect(res.body.error.message + JSON.stringify(res.body.error.details ?? "")).to.match(message);
				});
			}

			it("answers 404 for another user's document, analysis and stream, and for ids that are not ids", async () => {
				const mine = await post(doc.id, { providers: ["local"] });
				expect((await post(doc.id, { providers: ["local"] }, bob.accessToken)).status).to.equal(404);
				expect((await http(platform.baseUrl, "GET", `/api/v1/documents/${doc.id}/analyses`, { token: bob.accessToken })).status).to.equal(404);
				for (const path of [`/api/v1/analyses/${mine.body.id}`, `/api/v1/analyses/${mine.body.id}/events`, "/api/v1/analyses/not-a-uuid", `/api/v1/analyses/${crypto.randomUUID()}`]) {
					const res = await http(platform.baseUrl, "GET", path, { token: bob.accessToken });
					expect(res.status, path).to.equal(404);
					expect(res.body.error.type).to.equal("NOT_FOUND");
				}
				expect((await post(crypto.randomUUID(), {})).status).to.equal(404);
			});

			it("answers 401 without credentials", async () => {
				expect((await http(platform.baseUrl, "POST", `/api/v1/documents/${doc.id}/analyses`, { body: {} })).status).to.equal(401);
				expect((await http(platform.baseUrl, "GET", `/api/v1/analyses/${crypto.randomUUID()}`)).status).to.equal(401);
			});

			it("refuses a document not extracted yet, saying to come back", async () => {
				// A long PDF takes its extraction far longer than one request.
				const upload = await uploadFile(platform.baseUrl, alice.accessToken, { name: "long.pdf", type: PDF, bytes: await pdfDocument(reportPages(40)) });
				const res = await post(upload.body.id, {});
				expect(res.status, res.text).to.equal(409);
				expect(res.body.error.message).to.match(/not ready yet \(status (uploaded|extracting)\)/);
			});

			it("refuses a document whose extraction failed, saying why", async () => {
				const broken = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "broken.pdf", type: PDF, bytes: Buffer.from("%PDF-1.7\n1 0 obj garbage that is not a PDF body\n%%EOF") });
				expect(broken.status).to.equal("failed");
				const res = await post(broken.id, {});
				expect(res.status).to.equal(422);
				expect(res.body.error.message).to.match(/could not be read/);
			});
		});
	});
}
