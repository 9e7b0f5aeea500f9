import { expect } from "chai";
import type { Page } from "playwright-core";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { closeAll, fakeProviderEnv, startFakeProviders, type FakeProvider } from "../helpers/fake-providers/index.ts";
import { answerAnalyses, multiPagePdf, reportPages } from "../helpers/analyses.ts";
import { strongPassword, uniqueEmail } from "../helpers/users.ts";
import { buildConsole, launchBrowser, requireChromium, waitUntilTrue, type Browser } from "./browser.ts";

/** "METHOD /path" of every operation the running platform serves, from its own OpenAPI document. */
async function servedOperations(baseUrl: string): Promise<Set<string>> {
	const doc = (await (await fetch(`${baseUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
	return new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map(m => `${m.toUpperCase()} ${p}`)));
}

const FAKE_ANALYSES: Record<string, { summary: string; sentiment: "positive" | "negative" | "neutral" }> = {
	openai: { summary: "OpenAI says: solar panels in Seville cut costs.", sentiment: "positive" },
	anthropic: { summary: "Anthropic says: the Seville solar team reported lower costs.", sentiment: "positive" },
	gemini: { summary: "Gemini says: costs fell while reliability improved.", sentiment: "neutral" },
};

/** Visible text of each provider's result card, keyed by provider. */
async function resultCards(page: Page): Promise<Record<string, string>> {
	const cards: Record<string, string> = {};
	for (const card of await page.locator("article.result").all()) cards[(await card.getAttribute("data-provider")) ?? "?"] = await card.innerText();
	return cards;
}

/** The three commercial fakes this suite compares (sorted). */
const COMPARED = ["anthropic", "gemini", "openai"];

/** Presses Analyse and returns the new analysis' id once the page shows it, and the providers the page asked for. */
async function startAnalysis(page: Page): Promise<{ id: string; providers: string[] | undefined }> {
	const before = page.url();
	const posted = page.waitForRequest(req => req.method() === "POST" && /\/api\/v1\/documents\/[\w-]+\/analyses$/.test(req.url()));
	await page.getByRole("button", { name: "Analyse" }).click();
	const providers = ((await posted).postDataJSON() as { providers?: string[] }).providers?.slice().sort();
	await page.waitForURL(url => url.href !== before && /\/analyses\/[\w-]+$/.test(url.href));
	const id = /\/analyses\/([\w-]+)$/.exec(page.url())![1];
	await page.locator(`section.analysis[data-analysis-id="${id}"]`).waitFor();
	return { id, providers };
}

/** Problems the page reported, less the expected refusals named by `allowed` (URL patterns). */
function unexpectedProblems(browser: Browser, ...allowed: RegExp[]): string[] {
	return browser.problems.filter(p => !(p.includes("Failed to load resource") && allowed.some(re => re.test(p))));
}

for (const backend of BACKENDS) {
	describe(`web console in Chromium (${backend.name})`, function () {
		this.timeout(120_000);
		let fakes: Record<string, FakeProvider>;
		let browser: Browser;
		let served: Set<string>;
		const email = uniqueEmail("console");
		const password = strongPassword();
		const pdfName = "solar-report.pdf";
		let documentUrl = "";

		const needs = (ctx: Mocha.Context, ...operations: string[]) => {
			const missing = operations.filter(op => !served.has(op));
			if (missing.length === 0) return;
			console.log(`      skipped: the platform does not serve ${missing.join(", ")} yet`);
			ctx.skip();
		};

		// Registered before usePlatform's hooks, so these run first: a skip here starts nothing, and the
		// browser closes while the platform still runs.
		before(function () {
			requireChromium(this);
		});
		after(async () => {
			await browser?.close();
		});

		const platform = usePlatform(backend, async () => {
			buildConsole();
			fakes = await startFakeProviders();
			return { env: fakeProviderEnv(fakes) };
		});

		before(async () => {
			served = await servedOperations(platform.baseUrl);
			browser = await launchBrowser();
		});
		after(async () => {
			if (fakes) await closeAll(fakes);
		});

		it("serves the console with a same-origin-only content security policy", async () => {
			const res = await fetch(`${platform.baseUrl}/`);
			expect(res.status).to.equal(200);
			expect(res.headers.get("content-type")).to.match(/^text\/html/);
			const csp = res.headers.get("content-security-policy") ?? "";
			expect(csp).to.include("default-src 'self'").and.include("script-src 'self'").and.include("frame-ancestors 'none'");
			expect(csp).to.not.include("unsafe");
			expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
			expect(res.headers.get("x-frame-options")).to.equal("DENY");
			// Paths the console has no file for are the API's JSON 404, not the console page.
			const missing = await fetch(`${platform.baseUrl}/no-such-page`);
			expect(missing.status).to.equal(404);
			expect(await missing.json()).to.deep.equal({ error: { type: "NOT_FOUND", message: "Not found", code: 404 } });
		});

		it("signs up with the keyboard alone, and stays signed in across a reload", async function () {
			needs(this, "POST /api/v1/auth/register", "GET /api/v1/auth/me");
			const { page } = browser;
			await page.goto(`${platform.baseUrl}/`);
			await page.waitForURL(/#\/signin$/);
			await page.getByRole("link", { name: "Create an account" }).click();
			await page.getByRole("heading", { name: "Create an account" }).waitFor();
			// Every field has a label people and screen readers can find it by.
			await page.getByLabel("Email").focus();
			await page.keyboard.type(email);
			await page.keyboard.press("Tab");
			await page.keyboard.type("Ada Tester");
			await page.keyboard.press("Tab");
			await page.keyboard.type(password);
			await browser.screenshot(`${backend.requires.length ? "pg" : "sqlite"}-01-sign-up`);
			await page.keyboard.press("Enter");
			await page.getByRole("heading", { name: "Documents" }).waitFor();
			expect(await page.getByRole("navigation", { name: "Main" }).innerText()).to.include(email);

			// Only the short-lived access token is kept by script, and only for this tab.
			// (Page-side code is passed as text: these tests are type-checked without the DOM's types.)
			const storage = await page.evaluate<{ local: Record<string, string>; session: string[]; cookies: string }>("({ local: { ...localStorage }, session: Object.keys(sessionStorage), cookies: document.cookie })");
			expect(Object.values(storage.local).join(" ")).to.not.match(/eyJ|[A-Za-z0-9_-]{32,}/);
			expect(storage.session).to.deep.equal(["console.accessToken"]);
			expect(storage.cookies).to.equal("");

			await page.reload();
			await page.getByRole("heading", { name: "Documents" }).waitFor();
			expect(await page.getByRole("navigation", { name: "Main" }).innerText()).to.include(email);
		});

		it("refuses a wrong password with the server's message and keeps the user on the form", async function () {
			needs(this, "POST /api/v1/auth/login");
			const other = await launchBrowser();
			try {
				await other.page.goto(`${platform.baseUrl}/#/signin`);
				await other.page.getByLabel("Email").fill(email);
				await other.page.getByLabel("Password").fill("definitely-not-the-password");
				await other.page.getByRole("button", { name: "Sign in" }).click();
				await other.page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
				expect(other.page.url()).to.match(/#\/signin$/);
				expect(unexpectedProblems(other, /auth\/login/)).to.deep.equal([]);
			} finally {
				await other.close();
			}
		});

		it("uploads a real PDF by drag and drop, shows the progress, and lists it as ready", async function () {
			needs(this, "POST /api/v1/documents", "GET /api/v1/documents");
			const { page } = browser;
			const pdf = await multiPagePdf(reportPages(3, 250));
			await page.goto(`${platform.baseUrl}/#/documents`);
			await page.getByRole("heading", { name: "Documents" }).waitFor();
			const dataTransfer = await page.evaluateHandle(`(() => {
				const bytes = Uint8Array.from(atob("${pdf.toString("base64")}"), c => c.charCodeAt(0));
				const transfer = new DataTransfer();
				transfer.items.add(new File([bytes], ${JSON.stringify(pdfName)}, { type: "application/pdf" }));
				return transfer;
			})()`);
			await page.dispatchEvent(".dropzone", "dragover", { dataTransfer });
			await page.dispatchEvent(".dropzone", "drop", { dataTransfer });
			await page.getByRole("status").filter({ hasText: `Uploaded ${pdfName}` }).waitFor();
			// The bar is driven by the upload's own progress events, so it ends full.
			expect(await page.locator("#upload-progress").getAttribute("value")).to.equal("100");
			const row = page.locator("tr", { hasText: pdfName });
			await row.locator(".badge", { hasText: "ready" }).waitFor({ timeout: 30_000 });
			expect(await page.locator("table.documents caption").innerText()).to.equal("1 document");
			await browser.screenshot(`${backend.requires.length ? "pg" : "sqlite"}-02-documents`);
			documentUrl = (await row.getByRole("link", { name: pdfName }).getAttribute("href")) ?? "";
			expect(documentUrl).to.match(/^#\/documents\/[\w-]+$/);
		});

		it("says why an upload is refused (a program disguised as a PDF) and lists nothing new", async function () {
			needs(this, "POST /api/v1/documents");
			const { page } = browser;
			await page.goto(`${platform.baseUrl}/#/documents`);
			await page.getByRole("heading", { name: "Documents" }).waitFor();
			// The drop zone's file input stays in the tab order (hidden only visually), so keyboards can upload.
			await page.locator("#file-input").focus();
			expect(await page.evaluate<string>("document.activeElement.id")).to.equal("file-input");
			const fake = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(2048, 0x90)]);
			await page.locator("#file-input").setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: fake });
			await page.getByRole("status").filter({ hasText: /^Upload failed: / }).waitFor();
			expect(await page.locator("table.documents caption").innerText()).to.equal("1 document");
			expect(unexpectedProblems(browser, /api\/v1\/documents/)).to.deep.equal([]);
			browser.problems.length = 0;
		});

		it("analyses the PDF with three providers side by side, live, and serves the repeat from cache", async function () {
			needs(this, "POST /api/v1/documents/{id}/analyses", "GET /api/v1/analyses/{id}", "GET /api/v1/analyses/{id}/events");
			if (!documentUrl) this.skip();
			for (const [name, fake] of Object.entries(fakes)) {
				const answer = FAKE_ANALYSES[name];
				answerAnalyses(
					fake,
					{ summary: answer.summary, sentiment: { label: answer.sentiment, score: 0.8 }, entities: [{ type: "place", text: "Seville" }, { type: "person", text: "Ada Lovelace" }], keywords: ["solar"] },
					{ delayMs: 300 }
				);
			}
			const { page } = browser;
			await page.goto(`${platform.baseUrl}/${documentUrl}`);
			await page.getByRole("heading", { name: pdfName }).waitFor();
			expect(await page.getByLabel("Document text").innerText()).to.include("Section 1: solar energy in Seville.");
			// The offline analyzer is always there; this comparison is of the three commercial fakes.
			for (const provider of ["openai", "anthropic", "gemini"]) expect(await page.getByLabel(provider, { exact: true }).isChecked(), provider).to.equal(true);
			const local = page.getByLabel("local", { exact: true });
			if (await local.count()) await local.uncheck();
			const streamsBefore = browser.requests.filter(u => u.endsWith("/events")).length;
			const { id: first, providers: firstProviders } = await startAnalysis(page);
			expect(firstProviders).to.deep.equal(COMPARED);
			// The page is never reloaded: the event stream moves it from queued/running to succeeded.
			await page.locator(`section.analysis[data-analysis-id="${first}"][data-status="succeeded"]`).waitFor({ timeout: 60_000 });
			expect(browser.requests.filter(u => u.endsWith("/events")).length).to.be.greaterThan(streamsBefore);
			const cards = await resultCards(page);
			expect(Object.keys(cards).sort()).to.deep.equal(["anthropic", "gemini", "openai"]);
			for (const [provider, text] of Object.entries(cards)) {
				expect(text, provider).to.include(FAKE_ANALYSES[provider].summary);
				expect(text, provider).to.include(FAKE_ANALYSES[provider].sentiment);
				expect(text, provider).to.include("Seville").and.include("Ada Lovelace");
				expect(text, provider).to.match(/Cost\s+\$/).and.match(/Latency\s+\d+(\.\d)? m?s/);
				expect(text, provider).to.not.match(/\bcached\b/);
			}
			await browser.screenshot(`${backend.requires.length ? "pg" : "sqlite"}-03-analysis`);

			// The same request again: the stored result answers, and every card says so.
			// Through the documents list, as the first time: going from this analysis to its document is
			// a change of the URL's hash only, and the page re-renders a moment later with a new form
			// just like the one on screen (every provider checked, local too). Acting at once could
			// uncheck local on the old form and press Analyse on the new one: a request with local, so
			// a different analysis, computed afresh and not cached (the flake: "the anthropic card was
			// not cached", anthropic being the first card). The list has no such form to act on.
			await page.goto(`${platform.baseUrl}/#/documents`);
			await page.getByRole("heading", { name: "Documents", exact: true }).waitFor();
			await page.goto(`${platform.baseUrl}/${documentUrl}`);
			await page.getByRole("heading", { name: pdfName }).waitFor();
			if (await local.count()) await local.uncheck();
			const { id: second, providers: secondProviders } = await startAnalysis(page);
			expect(secondProviders, "the same request as the first").to.deep.equal(COMPARED);
			expect(second).to.not.equal(first);
			await page.locator(`section.analysis[data-analysis-id="${second}"][data-status="succeeded"]`).waitFor({ timeout: 30_000 });
			const again = await resultCards(page);
			for (const [provider, text] of Object.entries(again)) expect(text, provider).to.match(/\bcached\b/);
			expect(await page.locator("#analysis-title").innerText()).to.match(/cached/);
			expect(await page.locator(".analysis-list li").count()).to.be.greaterThanOrEqual(1);
		});

		it("lists the providers with their configuration and circuit state", async function () {
			needs(this, "GET /api/v1/llm/providers");
			const { page } = browser;
			await page.goto(`${platform.baseUrl}/#/providers`);
			await page.getByRole("heading", { name: "Providers" }).waitFor();
			for (const provider of ["openai", "anthropic", "gemini"]) {
				const row = page.locator(`tr[data-provider="${provider}"]`);
				expect(await row.innerText(), provider).to.match(/configured/).and.match(/closed/);
				expect(await row.innerText(), provider).to.not.match(/not configured/);
			}
			expect(await page.locator('tr[data-provider="openai-compatible"]').innerText()).to.match(/not configured/);
			await browser.screenshot(`${backend.requires.length ? "pg" : "sqlite"}-04-providers`);
		});

		it("runs an optimizer study: trials arrive live, the chart shows the Pareto front, a profile is applied", async function () {
			needs(this, "POST /api/v1/optimizer/studies", "GET /api/v1/optimizer/studies/{id}/trials", "GET /api/v1/optimizer/studies/{id}/events", "POST /api/v1/optimizer/studies/{id}/apply");
			// A paid model that takes a moment, so trials visibly arrive one by one.
			answerAnalyses(fakes.openai, { summary: "Solar panels in Seville cut costs by several percent." }, { delayMs: 400 });
			const { page } = browser;
			await page.goto(`${platform.baseUrl}/#/optimizer`);
			await page.getByRole("heading", { name: "New study" }).waitFor();
			await page.getByLabel("Name", { exact: true }).fill("e2e-summaries");
			await page.getByLabel("Text (when no document is chosen)").fill(reportPages(1, 160)[0]);
			await page.getByLabel("Reference answer (what a good result looks like)").fill("The solar energy team in Seville installed new panels and costs fell while reliability improved.");
			await page.getByLabel("local:extractive").check();
			await page.getByLabel("openai:gpt-4o-mini").check();
			await page.getByLabel("Trials at most").fill("6");
			await page.getByRole("button", { name: "Start study" }).click();
			await page.waitForURL(/#\/optimizer\/[\w-]+$/);
			await page.getByRole("heading", { name: "Study e2e-summaries" }).waitFor();
			// Seen while the study still runs: some trials listed, not all, without a reload.
			await waitUntilTrue(
				page,
				`(() => {
					const rows = document.querySelectorAll("table.trials tbody tr").length;
					return document.querySelector('#study [data-status="running"]') !== null && rows > 0 && rows < 6;
				})()`,
				60_000
			);
			await page.locator('#study [data-status="succeeded"]').waitFor({ timeout: 90_000 });
			expect(await page.locator("table.trials tbody tr").count()).to.equal(6);
			const scored = await page.locator("table.trials tbody tr", { hasText: "succeeded" }).count();
			expect(await page.locator("svg.chart circle").count()).to.equal(scored);
			const onFront = await page.locator("svg.chart circle.on-front").count();
			expect(onFront).to.be.within(1, scored);
			expect(await page.locator("svg.chart desc").textContent()).to.equal(`${scored} trials; ${onFront} on the Pareto front`);
			expect(await page.locator("svg.chart path.front").getAttribute("d")).to.match(/^M[\d.]+,[\d.]+/);
			await browser.screenshot(`${backend.requires.length ? "pg" : "sqlite"}-05-study`);

			await page.getByLabel("Save the best configuration as profile").fill("e2e-best");
			await page.getByRole("button", { name: "Apply profile" }).click();
			await page.getByRole("status").filter({ hasText: "Saved as profile e2e-best" }).waitFor();
			await page.goto(`${platform.baseUrl}/#/optimizer`);
			expect(await page.locator("#profiles").innerText()).to.include("e2e-best");
			expect(await page.locator(".study-list").innerText()).to.match(/e2e-summaries\s+succeeded/);
		});

		it("works at phone width: no sideways scrolling, every control labelled", async function () {
			needs(this, "GET /api/v1/documents");
			const { page } = browser;
			await page.setViewportSize({ width: 390, height: 844 });
			try {
				for (const [name, hash, heading] of [["documents", "#/documents", "Documents"], ["document", documentUrl, pdfName], ["optimizer", "#/optimizer", "Optimizer"]] as const) {
					if (!hash) continue;
					await page.goto(`${platform.baseUrl}/${hash}`);
					await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
					await page.waitForLoadState("networkidle").catch(() => {});
					const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
					expect(overflow, `${name} overflows by ${overflow}px`).to.be.at.most(0);
					await browser.screenshot(`${backend.requires.length ? "pg" : "sqlite"}-06-phone-${name}`);
					const unlabelled = await page.evaluate<string[]>(
						`[...document.querySelectorAll("input, select, textarea")].filter(el => el.labels.length === 0 && !el.getAttribute("aria-label")).map(el => el.outerHTML)`
					);
					expect(unlabelled, name).to.deep.equal([]);
				}
			} finally {
				await page.setViewportSize({ width: 1280, height: 900 });
			}
		});

		it("signs out: the access token stops working and the console asks to sign in", async function () {
			needs(this, "POST /api/v1/auth/logout");
			const { page } = browser;
			await page.goto(`${platform.baseUrl}/#/documents`);
			await page.getByRole("heading", { name: "Documents" }).waitFor();
			const token = await page.evaluate(() => sessionStorage.getItem("console.accessToken"));
			await page.getByRole("button", { name: "Sign out" }).click();
			await page.getByRole("heading", { name: "Sign in" }).waitFor();
			expect(await page.evaluate(() => ({ ...sessionStorage }))).to.deep.equal({});
			const res = await fetch(`${platform.baseUrl}/api/v1/documents`, { headers: { authorization: `Bearer ${token}` } });
			expect(res.status).to.equal(401);
			expect(unexpectedProblems(browser)).to.deep.equal([]);
		});
	});
}
