import path from "node:path";
import { createRequire } from "node:module";
import { browserSecurityHeaders, CONSOLE_DIR, staticFiles } from "./static-files.ts";

/** The files of swagger-ui-dist the page loads; its own index.html (which points at a public demo) is not served. */
const SWAGGER_UI_FILES = new Set(["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"]);

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** GET /docs: Swagger UI, served from node_modules (no CDN), reading /api/openapi.json. */
export function docsRoute() {
	// Swagger UI sets style attributes and draws icons as data: images; its scripts are same-origin files.
	const headers = browserSecurityHeaders({ inlineStyles: true });
	return {
		name: "docs",
		path: "/docs",
		authentication: false,
		bodyParsers: false,
		mappingPolicy: "restrict",
		logging: false,
		use: [staticFiles(path.join(CONSOLE_DIR, "docs"), headers), staticFiles(swaggerUiDir, headers, SWAGGER_UI_FILES)],
		aliases: {},
	};
}
