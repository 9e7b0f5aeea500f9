/**
 * What other services send to and get from the llm service (`llm.complete`). The llm service owns
 * the implementation; analyses and the optimizer depend only on these shapes.
 */

export interface ChatMessage {
	role: "system" | "user" | "assistant";
	content: string;
}

/** Sampling and length settings, plus the offline analyzer's own knobs. */
export interface CompletionParams {
	temperature?: number;
	top_p?: number;
	max_tokens?: number;
	stop?: string[];
	/** The `local` analyzer: how many sentences its summary has. */
	sentences?: number;
	/** The `local` analyzer: how many keywords it returns. */
	keywords?: number;
	/** A named prompt variant for analysis tasks (the optimizer searches over these). */
	promptVariant?: string;
}

export const ANALYSIS_TASKS = ["summary", "key_points", "keywords", "entities", "sentiment", "topics", "language", "readability", "statistics", "question"] as const;
export type AnalysisTaskType = (typeof ANALYSIS_TASKS)[number];

/**
 * A structured analysis of one text. The `local` provider answers it natively; any other provider
 * through a prompt that asks for JSON, validated against the schema of `AnalysisData`.
 */
export interface AnalysisTask {
	types: AnalysisTaskType[];
	input: string;
	/** With type "question": the user's question about the input. */
	question?: string;
}

export interface Entity {
	type: "email" | "url" | "date" | "amount" | "phone" | "person" | "organization" | "place" | "other";
	text: string;
	/** Character offset in the input, when known. */
	offset?: number;
}

export interface AnalysisData {
	summary?: string;
	key_points?: string[];
	keywords?: string[];
	entities?: Entity[];
	sentiment?: { label: "positive" | "negative" | "neutral" | "mixed"; score: number };
	topics?: string[];
	language?: string;
	readability?: { fleschReadingEase: number; gradeLevel: number };
	statistics?: { characters: number; words: number; sentences: number; paragraphs: number };
	answer?: string;
}

export type StrategyName = "single" | "fallback" | "parallel" | "race" | "consensus";

export interface CompleteParams {
	messages?: ChatMessage[];
	prompt?: string;
	system?: string;
	task?: AnalysisTask;
	/** Provider names (`openai`: its default model) or `provider:model` (`local:extractive`). */
	providers?: string[];
	model?: string;
	strategy?: StrategyName | string;
	params?: CompletionParams;
	/** A saved optimizer profile by name: its providers, strategy and params are the defaults. */
	profile?: string;
	/** Answer from the result cache even when not deterministic (true), or never (false). */
	cache?: boolean;
	/** JSON output wanted (free-form requests). */
	json?: boolean;
}

export interface Usage {
	inputTokens: number;
	outputTokens: number;
}

export interface ProviderResult {
	provider: string;
	model: string;
	output: string;
	/** Structured answer of an analysis task. */
	data?: AnalysisData;
	usage: Usage;
	costUsd: number;
	latencyMs: number;
	cached: boolean;
	/** Why the provider stopped, in OpenAI's words: stop, length, content_filter, ...; absent on errors. */
	finishReason?: string;
	error?: { type: string; message: string };
}

export interface CompleteResult {
	output: string;
	data?: AnalysisData;
	results: ProviderResult[];
	usage: Usage;
	costUsd: number;
	latencyMs: number;
	cached: boolean;
	/** For consensus: which result was chosen. */
	chosen?: { provider: string; model: string };
	/** The chosen answer's finish reason (see ProviderResult). */
	finishReason?: string;
}
