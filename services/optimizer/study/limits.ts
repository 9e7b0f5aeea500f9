/** Size limits of a study: they keep one study's memory and spend bounded on a 512 MB instance. */
export const STUDY_LIMITS = {
	maxExamples: 100,
	maxInputChars: 20_000,
	maxDatasetChars: 400_000,
	maxReferenceChars: 20_000,
	maxKeywords: 50,
	maxTermChars: 200,
	maxModels: 20,
	maxVariants: 20,
	maxNumericValues: 50,
	maxObjectives: 5,
	maxPromptChars: 20_000,
	maxPatternChars: 500,
	/** A regex objective looks at this much of an output: RE2 is linear, this bounds the constant (about 30 ms at worst). */
	maxRegexSubjectChars: 50_000,
	maxSchemaChars: 20_000,
	maxTrials: 500,
	maxRepeats: 10,
	/** trials x examples x repeats: more than this is not a study but a batch job. */
	maxPlannedCalls: 50_000,
	maxWallSeconds: 86_400,
	maxCostUsd: 10_000,
} as const;

export const STUDY_DEFAULTS = {
	maxTrials: 20,
	/** Applies as soon as one model in the space is paid; a study never spends without a limit. */
	maxCostUsd: 1,
	maxWallSeconds: 3_600,
	repeats: 1,
	sampler: "tpe",
	earlyStoppingMargin: 0.25,
	earlyStoppingMinTrials: 4,
} as const;
