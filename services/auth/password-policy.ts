import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Piscina } from "piscina";
import { invalidInput } from "../../shared/errors.ts";
import type { Strength, StrengthJob } from "./password-strength.worker.ts";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn's "safely unguessable" (about 10^10 guesses): what it advises behind a slow hash like argon2. */
export const DEFAULT_MIN_SCORE = 3;
/** An idle strength thread exits after this long, and zxcvbn's memory with it. */
const IDLE_TIMEOUT_MS = 30_000;

let strengthPool: Promise<Piscina> | undefined;

/** The thread's code sits beside this file: .ts when Node strips types from the sources, .js in dist/. */
function workerFile(): string {
	const self = fileURLToPath(import.meta.url);
	return path.join(path.dirname(self), `password-strength.worker${path.extname(self)}`);
}

/**
 * zxcvbn with the common-password list (about 49,000 leaked passwords), the diceware list and the
 * keyboard layouts (qwerty, azerty, qwertz, dvorak, keypads) for walks like "qwertyuiop", in one
 * thread created on the first check. On the event loop it held 15 MB of the main heap for good (a
 * third of it at MEMORY_BUDGET_MB=128, which then ran out) and took up to 0.1 s of CPU per
 * sign-up from everybody else. Checks beyond the one thread wait in piscina's queue, which the
 * per-address sign-up throttle bounds.
 */
function estimator(): Promise<Piscina> {
	strengthPool ??= import("piscina").then(({ Piscina }) => {
		const pool = new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: 1, idleTimeout: IDLE_TIMEOUT_MS, resourceLimits: { maxOldGenerationSizeMb: 64 } });
		// A thread that dies outside a check would otherwise be thrown at the process; piscina replaces it.
		pool.on("error", () => {});
		return pool;
	});
	return strengthPool;
}

async function estimate(job: StrengthJob): Promise<Strength> {
	return (await estimator()).run(job);
}

/** Ends the strength thread, if one is running (a stopping auth service). */
export async function closePasswordStrength(): Promise<void> {
	const pool = strengthPool;
	strengthPool = undefined;
	if (pool) await (await pool).destroy();
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
	const { score, warning, suggestions } = await estimate({ password, userInputs: [email, email.split("@")[0]] });
	if (score >= minScore) return;
	throw tooEasy([warning ?? "It would be found early by a password-guessing program.", ...suggestions].join(" "));
}
