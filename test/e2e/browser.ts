import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOT_DIR = path.join(ROOT, "test-results", "e2e");

/** The flags every run uses: no sandbox (root in CI), nothing that phones home or updates itself. */
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Skips (or in CI fails) when Debian's Chromium is not installed; .ci/run installs it. */
export function requireChromium(ctx: Mocha.Context): void {
	if (fs.existsSync(CHROMIUM)) return;
	const reason = `${CHROMIUM} is not installed (apt-get install chromium)`;
	if (process.env.CI === "true") throw new Error(`${reason}, and CI must run every test`);
	console.log(`      skipped: ${reason}`);
	ctx.skip();
}

/** Compiles the console the way `npm run build` does, so the browser runs the current sources. */
export function buildConsole(): void {
	execFileSync("npm", ["run", "-s", "build:console"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
}

/**
 * Polls a page-side expression until it is true. (page.waitForFunction would evaluate it with
 * eval inside the page, which the console's content security policy rightly refuses.)
 */
export async function waitUntilTrue(page: Page, expression: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await page.evaluate<boolean>(expression))) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
		await new Promise(resolve => setTimeout(resolve, 25));
	}
}

export interface Browser {
	context: BrowserContext;
	page: Page;
	/** Script errors, failed requests the page did not expect, and content-security-policy refusals. */
	problems: string[];
	/** URLs the page requested, for checks like "the event stream was used". */
	requests: string[];
	screenshot(name: string): Promise<string>;
	close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-chromium-"));
	const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport });
	const page = context.pages()[0] ?? (await context.newPage());
	const problems: string[] = [];
	const requests: string[] = [];
	page.on("pageerror", err => problems.push(`page error: ${err.message}`));
	page.on("console", msg => {
		// The console logs nothing itself; a browser error line is a failed load or a CSP refusal.
		if (msg.type() === "error") problems.push(`console: ${msg.text()} (${msg.location().url})`);
	});
	page.on("request", req => requests.push(req.url()));
	fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
	return {
		context,
		page,
		problems,
		requests,
		async screenshot(name) {
			const file = path.join(SCREENSHOT_DIR, `${name}.png`);
			await page.screenshot({ path: file, fullPage: true });
			return file;
		},
		async close() {
			await context.close();
			fs.rmSync(userDataDir, { recursive: true, force: true });
		},
	};
}
