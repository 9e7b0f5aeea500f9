import { invalidInput } from "../../shared/errors.ts";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

let commonPasswords: Promise<Set<string>> | undefined;

/**
 * The common-password dictionary of zxcvbn-ts (about 49,000 leaked passwords, most frequent first).
 * Only entries long enough to pass the length rule can matter, so only those are kept in memory;
 * loaded on the first registration, not at start.
 */
function loadCommonPasswords(): Promise<Set<string>> {
	commonPasswords ??= import("@zxcvbn-ts/language-common").then(({ dictionary }) => {
		const list = dictionary["passwords-common"] as string[];
		return new Set(list.filter(p => p.length >= PASSWORD_MIN_LENGTH).map(p => p.toLowerCase()));
	});
	return commonPasswords;
}

/**
 * One form per password, so the same characters typed on different keyboards or systems
 * (composed or decomposed accents, full-width digits) are the same password.
 */
export function normalizePassword(password: string): string {
	return password.normalize("NFKC");
}

/**
 * Rejects passwords that are too short, too long or well known. Length counts characters (code
 * points), and the whole password is hashed: nothing is silently cut off.
 */
export async function assertAcceptablePassword(password: string, email: string): Promise<void> {
	const length = [...password].length;
	if (length < PASSWORD_MIN_LENGTH) {
		throw invalidInput(`Password must be at least ${PASSWORD_MIN_LENGTH} characters long`, [{ field: "password", type: "passwordTooShort" }]);
	}
	if (length > PASSWORD_MAX_LENGTH) {
		throw invalidInput(`Password must be at most ${PASSWORD_MAX_LENGTH} characters long`, [{ field: "password", type: "passwordTooLong" }]);
	}
	const lower = password.toLowerCase();
	if ((await loadCommonPasswords()).has(lower) || new Set(lower).size < 3 || lower.includes(email.toLowerCase())) {
		throw invalidInput("Password is too easy to guess: choose one that is not a common password or your email address", [
			{ field: "password", type: "passwordTooCommon" },
		]);
	}
}
