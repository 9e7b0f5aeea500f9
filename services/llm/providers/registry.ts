import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PlatformConfig } from "../../../shared/config.ts";
import type { Provider } from "./provider.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** `.ts` when Node strips types from the sources, `.js` in the compiled dist/. */
const EXTENSION = path.extname(fileURLToPath(import.meta.url));

function isProvider(value: unknown): value is Provider {
	const p = value as Provider;
	return typeof p === "object" && p !== null && typeof p.name === "string" && typeof p.complete === "function" && typeof p.isConfigured === "function";
}

/**
 * Every provider folder under providers/ whose index exports a Provider. Adding a provider is adding
 * a folder; nothing here names one. Chat providers come first (alphabetically), then those that only
 * answer analysis tasks, so the first configured entry is the natural default. Provider modules are
 * small: each loads its SDK on first call.
 */
export async function discoverProviders(): Promise<Provider[]> {
	const found: Provider[] = [];
	const folders = fs.readdirSync(HERE, { withFileTypes: true }).filter(entry => entry.isDirectory());
	for (const folder of folders) {
		const index = path.join(HERE, folder.name, `index${EXTENSION}`);
		if (!fs.existsSync(index)) continue;
		const mod = (await import(pathToFileURL(index).href)) as Record<string, unknown>;
		found.push(...Object.values(mod).filter(isProvider));
	}
	return found.sort((a, b) => Number(b.supportsChat) - Number(a.supportsChat) || a.name.localeCompare(b.name));
}

/** The provider used when a request names none: the first configured one (the offline analyzer when no key is set). */
export function defaultProvider(providers: Provider[], config: PlatformConfig): Provider | undefined {
	return providers.find(p => p.isConfigured(config));
}
