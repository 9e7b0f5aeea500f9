import type { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { invalidInput } from "../../shared/errors.ts";
import { englishFeedback } from "./password-feedback-en.ts";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn's "safely unguessable" (about 10^10 guesses): what it advises behind a slow hash like argon2. */
export const DEFAULT_MIN_SCORE = 3;
/**
 * zxcvbn judges the first 64 characters only: its matching grows faster than the length (256 digits
 * take 0.7 s of the event loop, 64 take under 0.1 s), and a password whose first 64 characters are
 * strong is strong.
 */
const JUDGED_LENGTH = 64;

let estimator: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn with the common-password list (about 49,000 leaked passwords), the diceware list and the
 * keyboard layouts (qwerty, azerty, qwertz, dvorak, keypads) for walks like "qwertyuiop". Loaded on
 * the first registration, not at start (about 5 MB of heap).
 */
function loadEstimator(): Promise<ZxcvbnFactory> {
	estimator ??= Promise.all([import("@zxcvbn-ts/core"), import("@zxcvbn-ts/language-common")]).then(
		([{ ZxcvbnFactory }, common]) =>
			new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs, translations: englishFeedback, maxLength: JUDGED_LENGTH })
	);
	return estimator;
}

/**
 * One form per password, so the same characters typed on different keyboards or systems
 * (composed or decomposed accents, full-width digits) are the same password.
 */
export function normalizePassword(password: string): string {
	return password.normalize("NFKC");
}

function tooEasy(why: string) {
	return invalidInput(`Password is too easy to guess: ${why}`, [{ field: "password", type: "passwordTooWeak" }]);
}

/**
 * Rejects passwords that are too short, too long or easy to guess: common passwords, keyboard
 * walks, sequences, repeats, dates and the email address, as zxcvbn estimates them, with zxcvbn's
 * own feedback as the reason. Length counts characters (code points), and the whole password is
 * hashed: nothing is silently cut off.
 */
export async function assertAcceptablePassword(password: string, email: string, minScore = DEFAULT_MIN_SCORE): Promise<void> {
	const length = [...password].length;
	if (length < PASSWORD_MIN_LENGTH) {
		throw invalidInput(`Password must be at least ${PASSWORD_MIN_LENGTH} characters long`, [{ field: "password", type: "passwordTooShort" }]);
	}
	if (length > PASSWORD_MAX_LENGTH) {
		throw invalidInput(`Password must be at most ${PASSWORD_MAX_LENGTH} characters long`, [{ field: "password", type: "passwordTooLong" }]);
	}
	const lower = password.toLowerCase();
	// Cheap refusals first; they are also zxcvbn's slowest inputs.
	if (lower.includes(email.toLowerCase())) throw tooEasy("It contains your email address.");
	if (new Set(lower).size < 3) throw tooEasy('Repeated characters like "aaa" are easy to guess.');
	const result = (await loadEstimator()).check(password, [email, email.split("@")[0]]);
	if (result.score >= minScore) return;
	const { warning, suggestions } = result.feedback;
	throw tooEasy([warning ?? "It would be found early by a password-guessing program.", ...suggestions].join(" "));
}
