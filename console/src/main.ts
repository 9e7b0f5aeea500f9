import { h, show } from "./dom.ts";
import * as session from "./session.ts";
import { api, ApiError, refreshSession } from "./api.ts";
import { signInView } from "./pages/sign-in.ts";
import { documentsView } from "./pages/documents.ts";
import { documentView } from "./pages/document.ts";
import { providersView } from "./pages/providers.ts";
import { optimizerView } from "./pages/optimizer.ts";
import { studyView } from "./pages/study.ts";
import type { View } from "./view.ts";

/** Hash routes: the server serves one page, and links keep working on reload and with the back button. */
const ROUTES: [RegExp, (match: string[]) => View][] = [
	[/^\/signin$/, () => signInView("signin")],
	[/^\/signup$/, () => signInView("signup")],
	[/^\/documents$/, () => documentsView()],
	[/^\/documents\/([^/]+)$/, m => documentView(decodeURIComponent(m[1]))],
	[/^\/documents\/([^/]+)\/analyses\/([^/]+)$/, m => documentView(decodeURIComponent(m[1]), decodeURIComponent(m[2]))],
	[/^\/providers$/, () => providersView()],
	[/^\/optimizer$/, () => optimizerView()],
	[/^\/optimizer\/([^/]+)$/, m => studyView(decodeURIComponent(m[1]))],
];

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
let current: AbortController | undefined;

function renderNav(): void {
	const user = session.user();
	if (!user) {
		show(nav, h("a", { href: "#/signin" }, "Sign in"), h("a", { href: "#/signup" }, "Create account"), h("a", { href: "/docs" }, "API docs"));
		return;
	}
	const signOut = h("button", { type: "button", class: "link-button", onclick: () => void logout() }, "Sign out");
	show(
		nav,
		h("a", { href: "#/documents" }, "Documents"),
		h("a", { href: "#/providers" }, "Providers"),
		h("a", { href: "#/optimizer" }, "Optimizer"),
		h("a", { href: "/docs" }, "API docs"),
		h("span", { class: "who", title: user.email }, user.email),
		signOut
	);
	nav.querySelectorAll("a").forEach(a => {
		if (location.hash.startsWith(a.getAttribute("href") ?? "-")) a.setAttribute("aria-current", "page");
	});
}

async function logout(): Promise<void> {
	try {
		await api("POST", "/api/v1/auth/logout", {});
	} catch {
		// Signed out here either way; the server forgets the session when the token expires.
	}
	session.signedOut();
	location.hash = "#/signin";
}

async function route(): Promise<void> {
	current?.abort();
	current = new AbortController();
	const signal = current.signal;
	const path = location.hash.replace(/^#/, "") || "/documents";
	const found = ROUTES.map(([pattern, view]) => [pattern.exec(path), view] as const).find(([m]) => m);
	const view = found ? found[1]([...found[0]!]) : undefined;
	renderNav();
	if (!view) {
		show(main, h("h1", { tabindex: -1 }, "Not found"), h("p", {}, "There is no such page. ", h("a", { href: "#/documents" }, "Go to your documents.")));
		return;
	}
	if (!view.public && !session.user()) {
		location.hash = "#/signin";
		return;
	}
	document.title = `${view.title} · Document analysis`;
	try {
		const content = await view.render(signal);
		if (signal.aborted) return;
		show(main, content);
	} catch (err) {
		if (signal.aborted) return;
		if (err instanceof ApiError && err.status === 401) {
			location.hash = "#/signin";
			return;
		}
		show(main, h("h1", { tabindex: -1 }, view.title), h("p", { role: "alert", class: "error" }, (err as Error).message));
	}
	// Move focus to the new page's heading so keyboard and screen-reader users start there.
	main.querySelector<HTMLElement>("h1")?.focus();
}

async function start(): Promise<void> {
	session.onSessionChange(renderNav);
	if (session.accessToken() || (session.mayHaveSession() && (await refreshSession()))) {
		try {
			session.setUser(await api("GET", "/api/v1/auth/me"));
		} catch {
			session.signedOut();
		}
	}
	window.addEventListener("hashchange", () => void route());
	await route();
}

void start();
