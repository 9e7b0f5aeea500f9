/**
 * Parameter schemas (fastest-validator) shared by the auth actions. A failure answers 422
 * VALIDATION_ERROR before the action runs, so bad input changes nothing.
 */

/**
 * Something@domain.tld with no whitespace, control or invisible formatting characters anywhere
 * (those let two different-looking addresses collide or smuggle text into logs and emails).
 * The domain's first dot after its first character is the one matched (`[^.]*\.`): with a free
 * `[^@]+\.` the engine tried every dot in turn, and "a@" + "a.".repeat(64000) + "@" took 7.6 s.
 * Same addresses accepted as before, in linear time.
 */
export const EMAIL_PATTERN = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}][^\s@.\p{Cc}\p{Cf}]*\.[^\s@\p{Cc}\p{Cf}]+$/u;
const PRINTABLE_PATTERN = /^[^\p{Cc}\p{Cf}]*$/u;

export const credentialsParams = {
	// Lower-cased, so addresses are unique regardless of case.
	email: {
		type: "string",
		trim: true,
		lowercase: true,
		max: 254,
		pattern: EMAIL_PATTERN,
		messages: { stringPattern: "The 'email' field must be a valid email address" },
	},
	// Not trimmed or altered: every character counts. The length rules are the password policy's.
	password: { type: "string", min: 1, max: 1024 },
} as const;

export const nameParam = {
	type: "string",
	trim: true,
	max: 100,
	pattern: PRINTABLE_PATTERN,
	messages: { stringPattern: "The 'name' field must not contain control characters" },
} as const;

export const apiKeyNameParam = { ...nameParam, min: 1 } as const;

/** `drt_` and 43 characters; the bound only keeps absurd input from being hashed. */
export const refreshTokenParam = { type: "string", min: 1, max: 512 } as const;

/** A password change: the current one re-proves who is asking; the new one meets the policy (checked in the action). */
export const passwordChangeParams = {
	currentPassword: credentialsParams.password,
	newPassword: credentialsParams.password,
} as const;
