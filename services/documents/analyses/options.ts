import crypto from "node:crypto";
import { ANALYSIS_TASKS, type AnalysisTaskType, type CompletionParams } from "../../../shared/contracts/llm.ts";
import { invalidInput } from "../../../shared/errors.ts";
import { ANALYSIS_STRATEGIES, type AnalysisOptions, type AnalysisRequest, type AnalysisStrategy } from "./types.ts";

/** What a user gets without naming tasks. */
export const DEFAULT_TASKS: AnalysisTaskType[] = ["summary", "key_points", "keywords", "entities", "sentiment", "topics"];

/** One entry of `llm.providers`. */
export interface ProviderInfo {
	name: string;
	configured: boolean;
}

/** A saved optimizer profile (`optimizer.getProfile`). */
export interface SavedProfile {
	providers?: string[];
	strategy?: string;
	params?: CompletionParams;
}

/** What it takes to configure each provider, for the error a user gets when it is not. */
const SETUP_HINTS: Record<string, string> = {
	openai: "set OPENAI_API_KEY",
	anthropic: "set ANTHROPIC_API_KEY",
	gemini: "set GEMINI_API_KEY",
	"openai-compatible": "set OPENAI_COMPATIBLE_BASE_URL",
};

function resolveProviders(requested: string[] | undefined, known: ProviderInfo[]): string[] {
	if (requested === undefined) {
		// The configured (keyed) providers, else the offline analyzer that needs nothing.
		const configured = known.filter(p => p.configured && p.name !== "local").map(p => p.name);
		return configured.length > 0 ? configured : ["local"];
	}
	const providers = [...new Set(requested.map(p => p.trim()))];
	for (const entry of providers) {
		const name = entry.split(":")[0];
		const info = known.find(p => p.name === name);
		if (!info) {
			throw invalidInput(`Unknown provider "${name}"; choose from ${known.map(p => p.name).join(", ")}`, { field: "providers", value: entry });
		}
		if (!info.configured) {
			throw invalidInput(`Provider "${name}" is not configured on this platform (${SETUP_HINTS[name] ?? "configure it"})`, { field: "providers", value: entry });
		}
		if (entry.endsWith(":")) throw invalidInput(`Provider "${entry}" names no model; write "${name}" or "${name}:<model>"`, { field: "providers", value: entry });
	}
	return providers;
}

function resolveTasks(requested: string[] | undefined, question: string | undefined): AnalysisTaskType[] {
	const tasks = requested ?? (question ? ["question"] : DEFAULT_TASKS);
	const unknown = tasks.filter(t => !(ANALYSIS_TASKS as readonly string[]).includes(t));
	if (unknown.length > 0) {
		throw invalidInput(`Unknown task${unknown.length > 1 ? "s" : ""} ${unknown.map(t => `"${t}"`).join(", ")}; choose from ${ANALYSIS_TASKS.join(", ")} (with "question", send the question too)`, { field: "tasks", value: unknown });
	}
	const unique = new Set(tasks as AnalysisTaskType[]);
	if (question) unique.add("question");
	if (unique.has("question") && !question) throw invalidInput('Task "question" needs the question: send `question` too', { field: "question" });
	return ANALYSIS_TASKS.filter(t => unique.has(t));
}

function resolveStrategy(requested: string | undefined, providers: string[]): AnalysisStrategy {
	if (requested === undefined) return providers.length > 1 ? "parallel" : "single";
	if (!(ANALYSIS_STRATEGIES as readonly string[]).includes(requested)) {
		throw invalidInput(`Unknown strategy "${requested}"; choose from ${ANALYSIS_STRATEGIES.join(", ")}`, { field: "strategy", value: requested });
	}
	return requested as AnalysisStrategy;
}

/**
 * Fills in every default: the profile's settings under the request's own, the configured providers,
 * the strategy for their number, the standard tasks. Throws a 422 naming what is wrong.
 */
export function resolveOptions(request: AnalysisRequest, known: ProviderInfo[], profile?: SavedProfile): AnalysisOptions {
	const providers = resolveProviders(request.providers ?? profile?.providers, known);
	const question = request.question?.trim() || undefined;
	const options: AnalysisOptions = {
		providers,
		strategy: resolveStrategy(request.strategy ?? profile?.strategy, providers),
		tasks: resolveTasks(request.tasks, question),
		params: { ...profile?.params, ...request.params },
	};
	if (question) options.question = question;
	if (request.profile) options.profile = request.profile;
	return options;
}

/** JSON with object keys sorted, so equal options always hash the same. */
function canonicalJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
	if (value && typeof value === "object") {
		const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
		return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
	}
	return JSON.stringify(value);
}

/**
 * Identifies "the same analysis": document, tasks, question, params, strategy and the provider set.
 * Order only counts where the strategy makes it count (single and fallback try providers in order);
 * the profile's name does not, its settings already do.
 */
export function optionsKey(documentId: string, options: AnalysisOptions): string {
	const ordered = options.strategy === "single" || options.strategy === "fallback";
	const providers = ordered ? options.providers : [...options.providers].sort();
	const identity = { documentId, providers, strategy: options.strategy, tasks: options.tasks, question: options.question, params: options.params };
	return crypto.createHash("sha256").update(canonicalJson(identity)).digest("hex");
}
