import crypto from "node:crypto";
import type { PlatformConfig } from "../../shared/config.ts";
import type { AnalysisTask, ChatMessage, CompleteParams, CompletionParams, StrategyName } from "../../shared/contracts/llm.ts";
import { invalidInput } from "../../shared/errors.ts";
import { modelNameProblem } from "../../shared/validation/model-name.ts";
import type { Provider } from "./providers/provider.ts";
import { defaultProvider } from "./providers/registry.ts";

export const STRATEGIES: readonly StrategyName[] = ["single", "fallback", "parallel", "race", "consensus"];

export interface Target {
	provider: string;
	model: string;
}

/** What a saved optimizer profile contributes: defaults under the request's own values. */
export interface Profile {
	name: string;
	providers?: string[];
	strategy?: string;
	params?: CompletionParams;
}

/** The request, resolved: which models, in which strategy, with what; everything the answer depends on. */
export interface Plan {
	strategy: StrategyName;
	targets: Target[];
	messages: ChatMessage[];
	system?: string;
	json?: boolean;
	task?: AnalysisTask;
	params: CompletionParams;
	/** Deterministic (temperature 0) or asked for (`cache: true`), and not refused (`cache: false`). */
	cacheable: boolean;
}

interface PlanContext {
	providers: Map<string, Provider>;
	config: PlatformConfig;
}

/** `provider` (its default model) or `provider:model`; a model name may itself contain colons (`llama3.2:1b`). */
/** As long as llm_calls.model holds; no provider names its models longer. */
const MAX_MODEL_NAME_LENGTH = 200;

function parseTarget(entry: string, context: PlanContext): Target {
	// Params check what clients send; this also covers names from saved profiles, which reach provider URLs too.
	const problem = modelNameProblem(entry);
	if (problem) throw invalidInput(`"${entry.slice(0, 80)}" ${problem}`);
	const colon = entry.indexOf(":");
	const name = colon < 0 ? entry : entry.slice(0, colon);
	const provider = context.providers.get(name);
	if (!provider) {
		throw invalidInput(`Unknown provider "${name}"; known providers: ${[...context.providers.keys()].join(", ")}, or an alias: ${Object.keys(context.config.llm.aliases).join(", ")}`);
	}
	const model = colon < 0 ? provider.defaultModel(context.config) : entry.slice(colon + 1);
	if (!model) throw invalidInput(`"${entry}" names no model after the colon`);
	if (model.length > MAX_MODEL_NAME_LENGTH) throw invalidInput(`The model name in "${entry.slice(0, 40)}..." is longer than ${MAX_MODEL_NAME_LENGTH} characters`);
	return { provider: name, model };
}

/** An entry of `providers` or `model`: an alias expands to its list, anything else is one target. */
function expand(entries: string[], context: PlanContext): { targets: Target[]; aliasStrategy?: StrategyName } {
	const aliases = context.config.llm.aliases;
	const targets: Target[] = [];
	let aliasStrategy: StrategyName | undefined;
	for (const entry of entries) {
		const alias = Object.hasOwn(aliases, entry) ? aliases[entry] : undefined;
		if (alias) {
			targets.push(...alias.providers.map(p => parseTarget(p, context)));
			if (entries.length === 1) aliasStrategy = alias.strategy;
		} else {
			targets.push(parseTarget(entry, context));
		}
	}
	return { targets, aliasStrategy };
}

/** A bare model name: the provider that lists it (with `providers` naming one provider, that one). */
function bareModel(model: string, providerEntries: string[] | undefined, context: PlanContext): Target {
	if (providerEntries?.length === 1 && !providerEntries[0].includes(":") && context.providers.has(providerEntries[0])) {
		return { provider: providerEntries[0], model };
	}
	for (const provider of context.providers.values()) {
		if (provider.models(context.config).includes(model)) return { provider: provider.name, model };
	}
	throw invalidInput(`Unknown model "${model}": name it as "provider:model" (e.g. "openai:${model}") or use an alias (${Object.keys(context.config.llm.aliases).join(", ")})`);
}

function isStrategy(name: string | undefined): name is StrategyName {
	return (STRATEGIES as readonly string[]).includes(name ?? "");
}

/**
 * Resolves a request (and its profile) into a plan. Precedence: the request's own values, then the
 * profile's, then an alias's, then the defaults (the first configured provider; one target is
 * `single`, several are `parallel`).
 */
export function resolvePlan(request: CompleteParams, profile: Profile | undefined, context: PlanContext): Plan {
	const aliases = context.config.llm.aliases;
	const providerEntries = request.providers ?? profile?.providers;
	let strategyName = request.strategy ?? profile?.strategy;
	let targets: Target[] = [];
	let aliasStrategy: StrategyName | undefined;

	// `strategy` may be an alias name too (`strategy: "fast"`): its strategy, and its models unless others are named.
	if (strategyName !== undefined && !isStrategy(strategyName)) {
		const alias = Object.hasOwn(aliases, strategyName) ? aliases[strategyName] : undefined;
		if (!alias) throw invalidInput(`Unknown strategy "${strategyName}"; use one of ${STRATEGIES.join(", ")} or an alias: ${Object.keys(aliases).join(", ")}`);
		strategyName = alias.strategy;
		if (!request.model && !providerEntries) targets = alias.providers.map(p => parseTarget(p, context));
	}
	if (request.model) {
		if (request.model.includes(":") || Object.hasOwn(aliases, request.model)) ({ targets, aliasStrategy } = expand([request.model], context));
		else targets = [bareModel(request.model, providerEntries, context)];
	} else if (providerEntries && providerEntries.length > 0) {
		({ targets, aliasStrategy } = expand(providerEntries, context));
	}
	if (targets.length === 0) {
		const fallback = defaultProvider([...context.providers.values()], context.config);
		if (!fallback) throw invalidInput("No LLM provider is available");
		targets = [{ provider: fallback.name, model: fallback.defaultModel(context.config) }];
	}
	const strategy: StrategyName = isStrategy(strategyName) ? strategyName : (aliasStrategy ?? (targets.length > 1 ? "parallel" : "single"));

	const messages = request.messages ?? (request.prompt !== undefined ? [{ role: "user" as const, content: request.prompt }] : []);
	if (messages.length === 0 && !request.task) throw invalidInput("Send `messages`, `prompt` or `task`");
	if (request.task && request.task.types.length === 0) throw invalidInput("`task.types` names no analysis");
	const params: CompletionParams = { ...profile?.params, ...request.params };
	const cacheable = request.cache ?? params.temperature === 0;
	return {
		strategy,
		targets: strategy === "single" ? targets.slice(0, 1) : targets,
		messages,
		system: request.system,
		json: request.json,
		task: request.task,
		params,
		cacheable,
	};
}

function canonical(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(canonical);
	if (value && typeof value === "object") {
		return Object.fromEntries(
			Object.keys(value)
				.sort()
				.filter(k => (value as Record<string, unknown>)[k] !== undefined)
				.map(k => [k, canonical((value as Record<string, unknown>)[k])])
		);
	}
	return value;
}

/** A stable hash of what an answer depends on (key order and undefined fields do not matter). */
export function hashOf(value: unknown): string {
	return crypto.createHash("sha256").update(JSON.stringify(canonical(value))).digest("base64url");
}

/** The hash of one target's request: what a stored answer is looked up by. */
export function targetHash(plan: Plan, target: Target): string {
	return hashOf({ target, messages: plan.messages, system: plan.system, json: plan.json, task: plan.task, params: plan.params });
}

/** The hash of the whole plan: what a cached CompleteResult is looked up by. */
export function planHash(plan: Plan): string {
	return hashOf({ strategy: plan.strategy, targets: plan.targets, messages: plan.messages, system: plan.system, json: plan.json, task: plan.task, params: plan.params });
}
