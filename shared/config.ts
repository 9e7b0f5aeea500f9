import crypto from "node:crypto";
import path from "node:path";

/** The five services this codebase ships; SERVICES may only name these. */
export const SERVICE_NAMES = ["api", "auth", "documents", "llm", "optimizer"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ProviderEndpoint {
	apiKey?: string;
	baseUrl?: string;
}

export const LLM_STRATEGIES = ["single", "fallback", "parallel", "race", "consensus"] as const;

/** A named model choice (`fast`): a strategy over `provider` or `provider:model` entries. */
export interface LlmAlias {
	strategy: (typeof LLM_STRATEGIES)[number];
	providers: string[];
}

/** USD per million tokens. */
export interface LlmPrice {
	input: number;
	output: number;
}

/** The llm service's limits and choices (LLM_* variables; docs/llm.md). */
export interface LlmSettings {
	/** One provider request may take this long (ms) before it counts as a timeout. */
	timeoutMs: number;
	/** Further attempts after the first, for retryable errors only (429, 5xx, timeouts, network). */
	retries: number;
	/** First backoff (ms), doubled each retry; a provider's Retry-After wins when it says more. */
	retryBaseMs: number;
	/** Consecutive failures that open a provider's circuit, and how long (ms) it stays open. */
	circuitFailures: number;
	circuitResetMs: number;
	/** Requests in flight per provider (bulkhead); a bounded queue holds four times as many. */
	providerConcurrency: number;
	/** USD per user per calendar month (UTC); 0 means no budget. */
	userMonthlyBudgetUsd: number;
	/** Completion requests per user per minute; 0 means no limit. */
	userRequestsPerMinute: number;
	aliases: Record<string, LlmAlias>;
	/** Per `provider:model`, over the built-in table. */
	pricing: Record<string, LlmPrice>;
	/** `provider:model` that judges consensus; unset means agreement between the answers decides. */
	consensusJudge?: string;
}

export interface PlatformConfig {
	/** embedded: one process, no transporter; distributed: services over NATS. */
	mode: "embedded" | "distributed";
	port: number;
	host: string;
	dataDir: string;
	/** undefined means the embedded SQLite file under dataDir. */
	databaseUrl?: string;
	redisUrl?: string;
	transporter?: string;
	/** Services this process runs. */
	services: ServiceName[];
	nodeId?: string;
	namespace: string;
	/** Behind a reverse proxy: take the client address from X-Forwarded-For's last entry. */
	trustProxy: boolean;
	logLevel: LogLevel;
	/** undefined in embedded mode until the auth service generates one under dataDir. */
	jwtSecret?: string;
	/** Ed25519 keys (PEM): when set, access tokens are signed with EdDSA instead of HS256. */
	jwtKeys?: { privateKeyPem: string; publicKeyPem: string };
	maxUploadBytes: number;
	/** The one memory figure every cache, pool and concurrency limit is derived from. */
	memoryBudgetMb: number;
	providers: {
		openai: ProviderEndpoint;
		anthropic: ProviderEndpoint;
		gemini: ProviderEndpoint;
		openaiCompatible: ProviderEndpoint & { models: string[] };
	};
	llm: LlmSettings;
	faults: FaultSettings;
}

/** How the platform rides out faults: hanging Redis, dead nodes, stops, database overload (docs/deploy.md). */
export interface FaultSettings {
	/** A Redis command unanswered this long (ms) fails, so a hanging Redis costs what a down one does: a cache miss. */
	redisCommandTimeoutMs: number;
	/** A remote node silent this long (ms) is dropped and its pending calls fail over; heartbeats go out every quarter of it. */
	nodeTimeoutMs: number;
	/** A stop (SIGTERM) ends within this (ms): the listener closes at once, requests still running at half of it answer 503. */
	shutdownTimeoutMs: number;
	/** Connections this process's PostgreSQL pool may open. */
	databasePoolMax: number;
	/** Connections kept free of every pool on PostgreSQL's max_connections, for migrations and the REPL. */
	databaseReservedConnections: number;
	/** How long (ms) a query waits for a pooled connection under overload before it answers 503. */
	databaseAcquireTimeoutMs: number;
	/** How long (ms) opening a PostgreSQL connection may take before it counts as unreachable. */
	databaseConnectTimeoutMs: number;
}

/** A start-up configuration problem; its message names the variable to set. */
export class ConfigError extends Error {
	readonly variable: string;
	constructor(variable: string, message: string) {
		super(`${variable}: ${message}`);
		this.name = "ConfigError";
		this.variable = variable;
	}
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
	const value = env[name]?.trim();
	return value === "" ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = text(env, name);
	if (raw === undefined) return fallback;
	if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
		throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
	}
	return Number(raw);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
	const raw = text(env, name);
	if (raw === undefined) return undefined;
	let parsed: URL;
	try {
		parsed = new URL(raw);
	} catch {
		throw new ConfigError(name, `is not a valid URL: "${raw}"`);
	}
	if (!protocols.includes(parsed.protocol)) {
		throw new ConfigError(name, `must start with ${protocols.map(p => p + "//").join(" or ")}, got "${parsed.protocol}//"`);
	}
	return raw;
}

function decimal(env: Env, name: string, fallback: number): number {
	const raw = text(env, name);
	if (raw === undefined) return fallback;
	if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(name, `must be a number of 0 or more, like 12.5, got "${raw}"`);
	return Number(raw);
}

function jsonObject(env: Env, name: string, example: string): Record<string, unknown> {
	const raw = text(env, name);
	if (raw === undefined) return {};
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		throw new ConfigError(name, `must be a JSON object like ${example}`);
	}
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ConfigError(name, `must be a JSON object like ${example}`);
	return parsed as Record<string, unknown>;
}

/** Built-in aliases; LLM_ALIASES adds to them or redefines them. */
const DEFAULT_LLM_ALIASES: Record<string, LlmAlias> = {
	fast: { strategy: "race", providers: ["openai:gpt-4o-mini", "gemini:gemini-2.0-flash", "anthropic:claude-3-5-haiku-latest"] },
	reliable: { strategy: "fallback", providers: ["openai", "anthropic", "gemini", "openai-compatible"] },
};

const MODEL_REF = /^[a-z][a-z0-9-]*(:\S+)?$/;

function llmAliases(env: Env): Record<string, LlmAlias> {
	const example = `{"fast":{"strategy":"race","providers":["openai:gpt-4o-mini","gemini"]}}`;
	const aliases = { ...DEFAULT_LLM_ALIASES };
	for (const [name, value] of Object.entries(jsonObject(env, "LLM_ALIASES", example))) {
		const alias = value as Partial<LlmAlias>;
		const strategy = alias?.strategy ?? "fallback";
		if (!(LLM_STRATEGIES as readonly string[]).includes(strategy)) {
			throw new ConfigError("LLM_ALIASES", `alias "${name}": strategy must be one of ${LLM_STRATEGIES.join(", ")}`);
		}
		const providers = alias?.providers;
		if (!Array.isArray(providers) || providers.length === 0 || !providers.every(p => typeof p === "string" && MODEL_REF.test(p))) {
			throw new ConfigError("LLM_ALIASES", `alias "${name}": providers must be a non-empty list of "provider" or "provider:model"`);
		}
		aliases[name] = { strategy, providers };
	}
	return aliases;
}

function llmPricing(env: Env): Record<string, LlmPrice> {
	const example = `{"openai:gpt-4o-mini":{"input":0.15,"output":0.6}}`;
	const pricing: Record<string, LlmPrice> = {};
	for (const [model, value] of Object.entries(jsonObject(env, "LLM_PRICING", example))) {
		const price = value as Partial<LlmPrice>;
		const valid = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n >= 0;
		if (!model.includes(":") || !valid(price?.input) || !valid(price?.output)) {
			throw new ConfigError("LLM_PRICING", `entry "${model}": expected "provider:model": {"input": USD per million, "output": USD per million}`);
		}
		pricing[model] = { input: price.input!, output: price.output! };
	}
	return pricing;
}

function llmSettings(env: Env, memoryBudgetMb: number): LlmSettings {
	const judge = text(env, "LLM_CONSENSUS_JUDGE");
	if (judge !== undefined && !/^[a-z][a-z0-9-]*:\S+$/.test(judge)) {
		throw new ConfigError("LLM_CONSENSUS_JUDGE", `must be "provider:model", like openai:gpt-4o-mini, got "${judge}"`);
	}
	return {
		timeoutMs: integer(env, "LLM_TIMEOUT_MS", 60_000, 100, 600_000),
		retries: integer(env, "LLM_RETRIES", 2, 0, 10),
		retryBaseMs: integer(env, "LLM_RETRY_BASE_MS", 500, 1, 60_000),
		circuitFailures: integer(env, "LLM_CIRCUIT_FAILURES", 5, 1, 1000),
		circuitResetMs: integer(env, "LLM_CIRCUIT_RESET_MS", 30_000, 10, 3_600_000),
		providerConcurrency: integer(env, "LLM_PROVIDER_CONCURRENCY", Math.max(4, Math.floor(memoryBudgetMb / 16)), 1, 10_000),
		userMonthlyBudgetUsd: decimal(env, "LLM_USER_MONTHLY_BUDGET_USD", 10),
		userRequestsPerMinute: integer(env, "LLM_USER_REQUESTS_PER_MINUTE", 120, 0, 1_000_000_000),
		aliases: llmAliases(env),
		pricing: llmPricing(env),
		consensusJudge: judge,
	};
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
	const raw = text(env, name)?.toLowerCase();
	if (raw === undefined) return fallback;
	if (!(allowed as readonly string[]).includes(raw)) {
		throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
	}
	return raw as T;
}

function serviceList(env: Env): ServiceName[] {
	const raw = text(env, "SERVICES");
	if (raw === undefined || raw === "*" || raw === "all") return [...SERVICE_NAMES];
	const names = raw.split(",").map(s => s.trim().toLowerCase()).filter(Boolean);
	const unknown = names.filter(n => !(SERVICE_NAMES as readonly string[]).includes(n));
	if (unknown.length > 0) {
		throw new ConfigError("SERVICES", `unknown service(s) ${unknown.join(", ")}; choose from ${SERVICE_NAMES.join(", ")}`);
	}
	if (names.length === 0) throw new ConfigError("SERVICES", `names no service; choose from ${SERVICE_NAMES.join(", ")}`);
	return [...new Set(names)] as ServiceName[];
}

/**
 * Reads and validates the environment. Every mode that cannot work throws a ConfigError
 * naming the variable to set, so a misconfigured process stops at start, not at first use.
 */
/** PEM from the environment; one-line values may carry `\n` for the line breaks. */
function pem(env: Env, name: string): string | undefined {
	return text(env, name)?.replace(/\\n/g, "\n");
}

/**
 * JWT_PRIVATE_KEY (PKCS#8 PEM, Ed25519) and optionally JWT_PUBLIC_KEY (SPKI PEM; derived from the
 * private key when unset). Checked here, so a wrong key stops the start instead of every sign-in.
 */
function ed25519Keys(env: Env): PlatformConfig["jwtKeys"] {
	const privatePem = pem(env, "JWT_PRIVATE_KEY");
	const publicPem = pem(env, "JWT_PUBLIC_KEY");
	if (!privatePem) {
		if (publicPem) throw new ConfigError("JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY is set without it; set both, or neither");
		return undefined;
	}
	let privateKey: crypto.KeyObject;
	try {
		privateKey = crypto.createPrivateKey(privatePem);
	} catch {
		throw new ConfigError("JWT_PRIVATE_KEY", "is not a PEM private key (make one with `openssl genpkey -algorithm ed25519`)");
	}
	if (privateKey.asymmetricKeyType !== "ed25519") throw new ConfigError("JWT_PRIVATE_KEY", `must be an Ed25519 key, got ${privateKey.asymmetricKeyType}`);
	let publicKey = crypto.createPublicKey(privateKey);
	if (publicPem) {
		try {
			publicKey = crypto.createPublicKey(publicPem);
		} catch {
			throw new ConfigError("JWT_PUBLIC_KEY", "is not a PEM public key");
		}
		const derived = crypto.createPublicKey(privateKey).export({ type: "spki", format: "der" });
		if (!derived.equals(publicKey.export({ type: "spki", format: "der" }))) throw new ConfigError("JWT_PUBLIC_KEY", "does not belong to JWT_PRIVATE_KEY");
	}
	return {
		privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
		publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
	};
}

/** Render's private-network `hostport` is `host:port`; NATS is the only transporter, so accept it bare. */
function transporterUrl(env: Env): string | undefined {
	const raw = text(env, "TRANSPORTER");
	if (raw !== undefined && /^[A-Za-z0-9.-]+:\d+$/.test(raw)) return `nats://${raw}`;
	return url(env, "TRANSPORTER", ["nats:"]);
}

export function loadConfig(env: Env = process.env): PlatformConfig {
	const transporter = transporterUrl(env);
	const databaseUrl = url(env, "DATABASE_URL", ["postgres:", "postgresql:", "sqlite:"]);
	const redisUrl = url(env, "REDIS_URL", ["redis:", "rediss:"]);
	const jwtSecret = text(env, "JWT_SECRET");
	const jwtKeys = ed25519Keys(env);
	const mode = transporter ? "distributed" : "embedded";

	if (jwtSecret !== undefined && jwtSecret.length < 32) {
		throw new ConfigError("JWT_SECRET", "must be at least 32 characters (e.g. `openssl rand -hex 32`)");
	}
	if (mode === "distributed") {
		if (!databaseUrl || databaseUrl.startsWith("sqlite:")) {
			throw new ConfigError(
				"DATABASE_URL",
				"TRANSPORTER is set (distributed mode), so set DATABASE_URL=postgres://...: an SQLite file cannot be shared between processes"
			);
		}
		if (!redisUrl) {
			throw new ConfigError(
				"REDIS_URL",
				"TRANSPORTER is set (distributed mode), so set REDIS_URL=redis://...: every node must share the cache, rate limits and token denylist"
			);
		}
		if (!jwtSecret && !jwtKeys) {
			throw new ConfigError("JWT_SECRET", "TRANSPORTER is set (distributed mode), so set JWT_SECRET (or JWT_PRIVATE_KEY): every node must verify the same tokens");
		}
	}

	const services = serviceList(env);
	if (mode === "embedded" && text(env, "SERVICES") !== undefined && services.length < SERVICE_NAMES.length) {
		throw new ConfigError(
			"TRANSPORTER",
			`SERVICES runs only ${services.join(", ")}, so the others must run elsewhere: set TRANSPORTER=nats://host:4222`
		);
	}

	const memoryBudgetMb = integer(env, "MEMORY_BUDGET_MB", 512, 128, 1024 * 1024);
	const compatibleModels = (text(env, "OPENAI_COMPATIBLE_MODELS") ?? "")
		.split(",")
		.map(s => s.trim())
		.filter(Boolean);

	return {
		mode,
		port: integer(env, "PORT", 3000, 0, 65535),
		host: text(env, "HOST") ?? "0.0.0.0",
		dataDir: path.resolve(text(env, "DATA_DIR") ?? "./data"),
		databaseUrl,
		redisUrl,
		transporter,
		services,
		nodeId: text(env, "NODE_ID"),
		namespace: text(env, "NAMESPACE") ?? "docanalysis",
		trustProxy: oneOf(env, "TRUST_PROXY", ["true", "false"], "false") === "true",
		logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
		jwtSecret,
		jwtKeys,
		maxUploadBytes: integer(env, "MAX_UPLOAD_BYTES", 25 * 1024 * 1024, 1, 2 ** 40),
		memoryBudgetMb,
		providers: {
			openai: { apiKey: text(env, "OPENAI_API_KEY"), baseUrl: url(env, "OPENAI_BASE_URL", ["http:", "https:"]) },
			anthropic: { apiKey: text(env, "ANTHROPIC_API_KEY"), baseUrl: url(env, "ANTHROPIC_BASE_URL", ["http:", "https:"]) },
			gemini: { apiKey: text(env, "GEMINI_API_KEY"), baseUrl: url(env, "GEMINI_BASE_URL", ["http:", "https:"]) },
			openaiCompatible: {
				apiKey: text(env, "OPENAI_COMPATIBLE_API_KEY"),
				baseUrl: url(env, "OPENAI_COMPATIBLE_BASE_URL", ["http:", "https:"]),
				models: compatibleModels,
			},
		},
		llm: llmSettings(env, memoryBudgetMb),
		faults: faultSettings(env, memoryBudgetMb),
	};
}

function faultSettings(env: Env, memoryBudgetMb: number): FaultSettings {
	return {
		redisCommandTimeoutMs: integer(env, "REDIS_COMMAND_TIMEOUT_MS", 300, 10, 60_000),
		nodeTimeoutMs: integer(env, "NODE_TIMEOUT_MS", 1_500, 400, 600_000),
		shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 5_000, 1_000, 600_000),
		// Each PostgreSQL connection costs a few MB on both ends: 8 at 512 MB. Migrations need 2 (a lock and the work).
		databasePoolMax: integer(env, "DATABASE_POOL_MAX", Math.max(4, Math.min(20, Math.floor(memoryBudgetMb / 64))), 2, 1_000),
		databaseReservedConnections: integer(env, "DATABASE_RESERVED_CONNECTIONS", 3, 0, 1_000),
		databaseAcquireTimeoutMs: integer(env, "DATABASE_ACQUIRE_TIMEOUT_MS", 10_000, 100, 600_000),
		databaseConnectTimeoutMs: integer(env, "DATABASE_CONNECT_TIMEOUT_MS", 1_000, 100, 60_000),
	};
}
