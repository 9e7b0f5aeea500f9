import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import serveStatic from "serve-static";

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The checkout's root: the nearest folder with a package.json above this file, so the same code
 * finds the built console from the sources (tests) and from dist/ (npm start).
 */
function projectRoot(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	while (!fs.existsSync(path.join(dir, "package.json"))) {
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error("package.json not found above the api service");
		dir = parent;
	}
	return dir;
}

/** Where `npm run build` puts the console (console/ compiled, with its static files). */
export const CONSOLE_DIR = path.join(projectRoot(), "dist", "console");

/**
 * Headers for pages people open in a browser. The content security policy allows only this
 * origin, so even text that slipped into the page as markup could not load or run a script.
 * `inlineStyles` is for pages whose library sets style attributes (Swagger UI); scripts stay
 * same-origin files either way.
 */
export function browserSecurityHeaders(options: { inlineStyles: boolean }): Record<string, string> {
	const policy = [
		"default-src 'self'",
		"script-src 'self'",
		options.inlineStyles ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	];
	return {
		"Content-Security-Policy": policy.join("; "),
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
	};
}

/**
 * Static files from one folder with the given headers; anything else passes on (ending in the
 * gateway's JSON 404). The folder's index.html answers its root; `only` limits it to a fixed list
 * of file names.
 */
export function staticFiles(root: string, headers: Record<string, string>, only?: ReadonlySet<string>): Middleware {
	const serve = serveStatic(root, {
		// The root is mapped to index.html below: serve-static would refuse "/docs" (no trailing slash).
		index: false,
		redirect: false,
		dotfiles: "ignore",
		fallthrough: true,
		// File names carry no content hash, so browsers revalidate (a cheap 304) instead of caching blindly.
		cacheControl: true,
		maxAge: 0,
		setHeaders(res) {
			for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
		},
	}) as unknown as Middleware;
	return (req, res, next) => {
		const [pathname, query] = (req.url ?? "/").split(/\?(.*)/s);
		const name = pathname.replace(/^\//, "");
		if (only && !only.has(name)) return next();
		if (name === "" && !only) req.url = `/index.html${query ? `?${query}` : ""}`;
		serve(req, res, next);
	};
}
