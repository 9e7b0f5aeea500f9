/**
 * Runs in the password-strength thread (password-strength.ts): zxcvbn's estimate of one password.
 * zxcvbn holds about 15 MB of word lists and graphs and spends up to a tenth of a second of CPU
 * on a check; in a thread of its own neither lands on the event loop or the main heap, and both go
 * when the thread idles out. Plain type-strippable TypeScript (`npm run build` emits .js beside it).
 */
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import { englishFeedback } from "./password-feedback-en.ts";

/**
 * zxcvbn judges the first 64 characters only: its matching grows faster than the length (256 digits
 * take 0.7 s, 64 take under 0.1 s), and a password whose first 64 characters are strong is strong.
 */
const JUDGED_LENGTH = 64;

const estimator = new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs, translations: englishFeedback, maxLength: JUDGED_LENGTH });

export interface StrengthJob {
	password: string;
	userInputs: string[];
}

export interface Strength {
	score: number;
	warning: string | null;
	suggestions: string[];
}

export default function estimateStrength({ password, userInputs }: StrengthJob): Strength {
	const { score, feedback } = estimator.check(password, userInputs);
	return { score, warning: feedback.warning ?? null, suggestions: feedback.suggestions };
}
