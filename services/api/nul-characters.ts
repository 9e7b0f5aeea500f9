import { invalidInput } from "../../shared/errors.ts";

/** Deeper than any request of ours nests; a deeper one is refused by validation anyway. */
const MAX_DEPTH = 32;

function findNul(value: unknown, path: string, depth: number): string | undefined {
	if (typeof value === "string") return value.includes("\u0000") ? path || "the request" : undefined;
	if (depth > MAX_DEPTH || value === null || typeof value !== "object") return undefined;
	for (const [key, item] of Object.entries(value)) {
		if (key.includes("\u0000")) return path ? `${path} (a key)` : "a key";
		const found = findNul(item, path ? `${path}.${key}` : key, depth + 1);
		if (found) return found;
	}
	return undefined;
}

/**
 * Refuses a request whose parameters hold a NUL character (U+0000). No field of ours means one,
 * and neither database can take it: PostgreSQL text cannot hold it at all, and through SQLite it
 * cuts the query short (a 500). Checked once at the gateway, for every route.
 */
export function refuseNulCharacters(params: unknown): void {
	const field = findNul(params, "", 0);
	if (!field) return;
	const message = `\`${field}\` contains a NUL character (U+0000), which no field accepts`;
	// The same shape as the validator's own problems, so a client reads them one way.
	throw invalidInput(message, [{ type: "stringNul", field, message }]);
}
