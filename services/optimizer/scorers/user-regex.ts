import type { RE2JS } from "re2js";
import { STUDY_LIMITS } from "../study/limits.ts";

/**
 * Regular expressions that users write (the `regex` objective) run on re2js: RE2's automaton takes
 * time linear in the text whatever the pattern, where JavaScript's backtracking engine takes
 * exponential time on `(a+)+b` (28 characters froze every user of the process for 2 s). RE2 has no
 * backreferences or lookaround, which is what makes it linear; a pattern using them is refused.
 * Loaded on first use: most processes never see a regex objective.
 */
export interface UserRegex {
	/** Whether the pattern occurs in the first `maxRegexSubjectChars` characters of `subject`. */
	test(subject: string): boolean;
}

const FLAG_BITS = { i: "CASE_INSENSITIVE", m: "MULTILINE", s: "DOTALL" } as const;

/** Compiles `pattern` with the JavaScript flags a study may give (i, m, s, u); throws re2js's syntax error. */
export async function compileUserRegex(pattern: string, flags = ""): Promise<UserRegex> {
	const { RE2JS: Re2 } = await import("re2js");
	let bits = 0;
	for (const flag of flags) if (flag in FLAG_BITS) bits |= Re2[FLAG_BITS[flag as keyof typeof FLAG_BITS]];
	// `u` needs nothing: RE2 always matches by code point.
	const compiled: RE2JS = Re2.compile(pattern, bits);
	return { test: subject => compiled.matcher(subject.slice(0, STUDY_LIMITS.maxRegexSubjectChars)).find() };
}

/** Why re2js refuses the pattern, in words for the `objectives[i].pattern` problem; undefined when it compiles. */
export async function userRegexProblem(pattern: string, flags?: string): Promise<string | undefined> {
	try {
		await compileUserRegex(pattern, flags);
		return undefined;
	} catch (err) {
		const detail = (err as Error).message.replace(/^error parsing regexp: /, "");
		return `is not a valid regular expression for the linear-time engine (RE2 syntax): ${detail}. Backreferences (\\1) and lookaround ((?=...), (?<=...)) are not supported`;
	}
}
