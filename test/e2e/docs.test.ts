import { expect } from "chai";
import { usePlatform } from "../helpers/platform.ts";
import { buildConsole, launchBrowser, requireChromium, type Browser } from "./browser.ts";

describe("API docs at /docs in Chromium", function () {
	this.timeout(60_000);
	let browser: Browser;

	// Registered before usePlatform's hooks, so these run first: a skip here starts nothing, and the
	// browser closes while the platform still runs.
	before(function () {
		requireChromium(this);
		buildConsole();
	});
	after(async () => {
		await browser?.close();
	});

	const platform = usePlatform();

	before(async () => {
		browser = await launchBrowser();
	});

	it("renders the generated description with Swagger UI, loading nothing from elsewhere", async () => {
		const { page } = browser;
		const response = await page.goto(`${platform.baseUrl}/docs`);
		expect(response?.status()).to.equal(200);
		expect(response?.headers()["content-security-policy"]).to.include("script-src 'self'");
		await page.locator(".swagger-ui .info .title", { hasText: "Document-analysis platform API" }).waitFor();
		await page.locator(".opblock-summary", { hasText: "/api/v1/auth/register" }).first().waitFor();
		const operations = await page.locator(".opblock-summary-path").allInnerTexts();
		expect(operations.map(t => t.replace(/\u200b/g, ""))).to.include.members(["/api/v1/auth/login", "/api/v1/auth/me", "/health/ready"]);
		// The Bearer scheme is offered for "Try it out".
		await page.getByRole("button", { name: /Authorize/ }).waitFor();

		// Opening an operation shows its request body schema, generated from the action's params.
		await page.locator(".opblock-summary", { hasText: "/api/v1/auth/login" }).first().click();
		const body = page.locator(".opblock.is-open .opblock-section-request-body");
		await body.waitFor();
		expect(await body.innerText()).to.include("application/json");
		await browser.screenshot("docs");

		const origin = new URL(platform.baseUrl).origin;
		const elsewhere = browser.requests.filter(url => !url.startsWith(origin) && !url.startsWith("data:"));
		expect(elsewhere).to.deep.equal([]);
		expect(browser.problems).to.deep.equal([]);
	});

	it("serves only the viewer's own files from swagger-ui-dist, not its demo page", async () => {
		expect((await fetch(`${platform.baseUrl}/docs/swagger-ui-bundle.js`)).status).to.equal(200);
		for (const path of ["/docs/swagger-initializer.js", "/docs/index.html?x", "/docs/package.json", "/docs/../package.json"]) {
			const res = await fetch(`${platform.baseUrl}${path}`);
			// index.html is our own page; the rest must not be served.
			if (path.startsWith("/docs/index.html")) {
				expect(await res.text(), path).to.include('src="/docs/docs.js"');
			} else {
				expect(res.status, path).to.equal(404);
			}
		}
	});
});
