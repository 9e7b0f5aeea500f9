import type { AnalysisData, AnalysisTaskType, CompletionParams, StrategyName, Usage } from "../../../shared/contracts/llm.ts";
import type { JobProgress, JobStatus } from "../../../shared/jobs/index.ts";

/** The strategies an analysis can run its providers with. */
export const ANALYSIS_STRATEGIES = ["single", "parallel", "fallback", "race", "consensus"] as const satisfies readonly StrategyName[];
export type AnalysisStrategy = (typeof ANALYSIS_STRATEGIES)[number];

/** What a client may send to POST /documents/:id/analyses. */
export interface AnalysisRequest {
	providers?: string[];
	strategy?: string;
	tasks?: string[];
	/** The custom question (task "question"). */
	question?: string;
	params?: CompletionParams;
	/** A saved optimizer profile by name: its providers, strategy and params are the defaults. */
	profile?: string;
	/** Run again even when a stored result for the same options exists. */
	refresh?: boolean;
}

/** A request with every default filled in: what is stored, hashed and run. */
export interface AnalysisOptions {
	providers: string[];
	strategy: AnalysisStrategy;
	tasks: AnalysisTaskType[];
	question?: string;
	params: CompletionParams;
	profile?: string;
}

/** One provider's analysis of the whole document; `output` holds the structured result. */
export interface ProviderAnalysis {
	provider: string;
	model: string;
	output: AnalysisData | null;
	usage: Usage;
	costUsd: number;
	latencyMs: number;
	/** Every call this provider needed came from the llm result cache. */
	cached: boolean;
	/** LLM calls made: one per chunk batch, plus the reduce steps. */
	calls: number;
	error?: { type: string; message: string };
}

/** Where the providers agree. */
export interface Consensus {
	providers: string[];
	/** The summary most similar to the others, and whose it is. */
	summary?: { text: string; provider: string };
	answer?: { text: string; provider: string };
	keywords?: string[];
	topics?: string[];
	entities?: { type: string; text: string }[];
	sentiment?: { label: string; score: number; votes: number };
	language?: string;
	/** Mean pairwise similarity (0..1) of the providers' outputs. */
	agreement: number;
}

/** GET /analyses/:id. */
export interface AnalysisView {
	id: string;
	documentId: string;
	status: JobStatus;
	progress: JobProgress;
	options: AnalysisOptions;
	results: ProviderAnalysis[];
	consensus: Consensus | null;
	usage: Usage;
	costUsd: number;
	cached: boolean;
	error: string | null;
	/** While queued after an outage: what it waits for ("llm.complete is not reachable"); else null. */
	waitingFor: string | null;
	createdAt: string;
	completedAt: string | null;
}
