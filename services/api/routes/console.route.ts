import fs from "node:fs";
import type { Service } from "moleculer";
import { browserSecurityHeaders, CONSOLE_DIR, staticFiles } from "./static-files.ts";

/**
 * The web console at /: static files built by `npm run build` (see console/). It must be the last
 * route: its prefix "/" catches every path no other route claims, and what it has no file for
 * ends in the gateway's JSON 404.
 */
export function consoleRoute(gateway: Service) {
	if (!fs.existsSync(CONSOLE_DIR)) gateway.logger.warn(`The web console is not built (${CONSOLE_DIR} is missing): run npm run build`);
	return {
		name: "console",
		path: "/",
		authentication: false,
		bodyParsers: false,
		mappingPolicy: "restrict",
		logging: false,
		use: [staticFiles(CONSOLE_DIR, browserSecurityHeaders({ inlineStyles: false }))],
		aliases: {},
	};
}
