import crypto from "node:crypto";

/** API keys start with this, so the gateway can tell them from JWTs and leak scanners can find them. */
export const API_KEY_PREFIX = "dak_";
const REFRESH_TOKEN_PREFIX = "drt_";
/** How much of a key stays visible in listings: the marker and 8 random characters. */
const VISIBLE_KEY_CHARS = API_KEY_PREFIX.length + 8;

function randomSecret(): string {
	return crypto.randomBytes(32).toString("base64url");
}

/**
 * Tokens and keys carry 256 random bits, so a fast hash is enough to store them: there is nothing
 * to brute-force, and lookups by hash stay cheap on the hot path.
 */
export function hashSecret(secret: string): string {
	return crypto.createHash("sha256").update(secret).digest("hex");
}

export function newRefreshToken(): string {
	return REFRESH_TOKEN_PREFIX + randomSecret();
}

export function newApiKey(): { key: string; prefix: string } {
	const key = API_KEY_PREFIX + randomSecret();
	return { key, prefix: key.slice(0, VISIBLE_KEY_CHARS) };
}

export function looksLikeApiKey(credential: string): boolean {
	return credential.startsWith(API_KEY_PREFIX);
}
