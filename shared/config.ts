import crypto from "node:crypto";
import path from "node:path";
import { modelNameProblem } from "./validation/model-name.ts";
import proxyAddr from "proxy-addr";

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
	/** A long-context tier: these prices for the whole call once its input passes `inputTokens` (Gemini's 200k). */
	above?: { inputTokens: number; input: number; output: number };
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
	/** Per `provider:model`, over the maintained price catalog (@pydantic/genai-prices). */
	pricing: Record<string, LlmPrice>;
	/** `provider:model` that judges consensus; unset means agreement between the answers decides. */
	consensusJudge?: string;
	/**
	 * Output tokens a paid call may produce when the request sets no max_tokens: sent to the provider,
	 * so the worst case the budget reserves before the call is a true bound.
	 */
	defaultMaxTokens: number;
}

/** The durable job queues' limits (JOBS_* variables; docs/analyses.md). */
export interface JobSettings {
	/** Analyses one node runs at once: sized for work that mostly waits on providers. */
	concurrency: number;
	/** Jobs of one user running at once across all nodes (soft cap): the rest stay queued. */
	userRunningMax: number;
	/** Analyses one user may have queued or running (hard cap): past it, 429 with Retry-After. */
	userActiveMax: number;
	/** Analyses queued or running per documents node: past it (times the nodes), 429 QUEUE_FULL with Retry-After. */
	activePerNodeMax: number;
	/** Studies one user may have queued or running: past it, 429 with Retry-After. */
	userActiveStudiesMax: number;
	/** How long (ms) a job waits out an unreachable service, bus or database before it fails. */
	outageWindowMs: number;
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
	/** Which X-Forwarded-For hops to believe (Express's `trust proxy`); false: only the socket's peer. */
	trustProxy: TrustProxy;
	/** Who may read the Prometheus metrics (METRICS_TOKEN, METRICS_PORT). */
	metrics: MetricsAccess;
	/** A file kept fresh while the broker runs, for container health checks that need no port (LIVENESS_FILE). */
	livenessFile?: string;
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
	extraction: ExtractionSettings;
	analyzer: AnalyzerSettings;
	auth: AuthSettings;
	faults: FaultSettings;
	jobs: JobSettings;
	/** An upload that sends no byte for this long is cut off with 408 (UPLOAD_IDLE_TIMEOUT_MS). */
	uploadIdleTimeoutMs: number;
	/** Progress streams (SSE) a service keeps open at once on a node, in all and per user (SSE_STREAMS_PER_NODE, SSE_STREAMS_PER_USER). */
	progressStreams: { perNode: number; perUser: number };
}

/** The auth service's limits (AUTH_* variables; docs/auth.md). */
export interface AuthSettings {
	/** Sign-ups one client address may attempt per hour; 0 means no limit. */
	registrationsPerHour: number;
	/** zxcvbn score (0-4) a new password must reach. */
	passwordMinScore: number;
	/** Signed-out sessions each auth node holds in memory; past it, checks also ask Redis and the database. */
	revokedSessionsInMemory: number;
}

function authSettings(env: Env, memoryBudgetMb: number): AuthSettings {
	return {
		registrationsPerHour: integer(env, "AUTH_REGISTRATIONS_PER_HOUR", 20, 0, 1_000_000_000),
		passwordMinScore: integer(env, "AUTH_PASSWORD_MIN_SCORE", 3, 0, 4),
		// About 110 bytes an entry (measured): 200 entries per MB of budget take 2 % of it (11 MB of 512).
		revokedSessionsInMemory: integer(env, "AUTH_REVOKED_SESSIONS_IN_MEMORY", Math.max(10_000, memoryBudgetMb * 200), 100, 100_000_000),
	};
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
		if (modelNameProblem(name)) throw new ConfigError("LLM_ALIASES", `alias "${name}" ${modelNameProblem(name)}: clients name aliases where they name models`);
		if (!Array.isArray(providers) || providers.length === 0 || !providers.every(p => typeof p === "string" && MODEL_REF.test(p) && !modelNameProblem(p))) {
			throw new ConfigError("LLM_ALIASES", `alias "${name}": providers must be a non-empty list of "provider" or "provider:model" (letters, digits and . _ : / - only, no '..' segment)`);
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
		defaultMaxTokens: integer(env, "LLM_DEFAULT_MAX_TOKENS", 4096, 1, 1_000_000),
	};
}

// ---- Untrusted-work sandboxes (EXTRACTION_*, ANALYZER_*; docs/documents.md, docs/local-analyzer.md)

/** Text extraction runs in child processes with a hard ceiling on all their memory. */
export interface ExtractionSettings {
	/** Child processes extracting at once (each one document). */
	processes: number;
	/** Resident memory (MB) of one extraction process; past it the process is killed and the document fails. */
	memoryMb: number;
	/** Bytes a document may expand to while its streams and zip entries are inflated, counted as they inflate. */
	maxDecodedBytes: number;
	/** PDF pages; a PDF declaring more is refused before any page is read. */
	maxPages: number;
	/** Wall-clock time (ms) for one document; past it the process is killed and the document fails. */
	timeoutMs: number;
}

/** The offline analyzer runs in worker threads, off the event loop that answers everyone. */
export interface AnalyzerSettings {
	threads: number;
	/** Old-generation heap (MB) of each analyzer thread; a task that needs more fails, the thread is replaced. */
	heapMb: number;
	/** Longest input text (characters) the offline analyzer takes; a longer one is refused. */
	maxInputChars: number;
}

function extractionSettings(env: Env, memoryBudgetMb: number): ExtractionSettings {
	return {
		processes: integer(env, "EXTRACTION_PROCESSES", memoryBudgetMb >= 1024 ? 2 : 1, 1, 64),
		memoryMb: integer(env, "EXTRACTION_MEMORY_MB", Math.max(128, Math.floor((memoryBudgetMb * 3) / 8)), 96, 1024 * 1024),
		maxDecodedBytes: integer(env, "EXTRACTION_MAX_DECODED_MB", Math.max(16, Math.floor((memoryBudgetMb * 3) / 32)), 1, 1024 * 1024) * 1024 * 1024,
		maxPages: integer(env, "EXTRACTION_MAX_PAGES", 2_000, 1, 1_000_000),
		timeoutMs: integer(env, "EXTRACTION_TIMEOUT_MS", 120_000, 1_000, 3_600_000),
	};
}

function analyzerSettings(env: Env, memoryBudgetMb: number): AnalyzerSettings {
	return {
		threads: integer(env, "ANALYZER_THREADS", memoryBudgetMb >= 1024 ? 2 : 1, 1, 64),
		heapMb: integer(env, "ANALYZER_HEAP_MB", Math.max(64, Math.floor(memoryBudgetMb / 4)), 32, 1024 * 1024),
		maxInputChars: integer(env, "ANALYZER_MAX_INPUT_CHARS", memoryBudgetMb * 2048, 1_000, 100_000_000),
	};
}
// ---- end of the sandboxes' block

function jobSettings(env: Env, memoryBudgetMb: number): JobSettings {
	// A running analysis holds 7 to 14 MB at its peak (measured) but spends its time waiting on
	// providers: one per 64 MB of budget (8 at 512) keeps their peaks (about 110 MB) well inside the
	// main heap's 3/8 of the budget while providers stay busy.
	const concurrency = integer(env, "JOBS_CONCURRENCY", Math.max(2, Math.min(64, Math.floor(memoryBudgetMb / 64))), 1, 1024);
	return {
		concurrency,
		userRunningMax: integer(env, "JOBS_USER_RUNNING_MAX", Math.max(1, Math.ceil(concurrency / 2)), 1, 100_000),
		userActiveMax: integer(env, "JOBS_USER_ACTIVE_MAX", Math.max(16, Math.floor(memoryBudgetMb / 8)), 1, 1_000_000),
		activePerNodeMax: integer(env, "JOBS_ACTIVE_PER_NODE_MAX", concurrency * 16, 1, 10_000_000),
		userActiveStudiesMax: integer(env, "OPTIMIZER_USER_ACTIVE_STUDIES_MAX", 5, 1, 10_000),
		outageWindowMs: integer(env, "JOBS_OUTAGE_WINDOW_MINUTES", 10, 1, 24 * 60) * 60_000,
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

// --- Gateway exposure: client address behind proxies, metrics access, placeholder secrets (docs/deploy.md) ---

/** TRUST_PROXY with Express's `trust proxy` meaning: false, true (every hop), a hop count, or trusted addresses/ranges. */
export type TrustProxy = boolean | number | string[];

export interface MetricsAccess {
	/** Bearer token for GET /metrics (on the gateway and on METRICS_PORT); unset: the gateway does not serve them. */
	token?: string;
	/** A listener of its own for the metrics, bound to HOST; unset: no such listener. */
	port?: number;
}

/**
 * TRUST_PROXY as Express reads `trust proxy`: `false`/`0` believes no header, `true` every hop (the
 * left-most address, which the client writes), a number N the N nearest hops, and a comma list the
 * addresses, CIDR ranges or proxy-addr names (`loopback`, `linklocal`, `uniquelocal`) of proxies.
 */
function trustProxy(env: Env): TrustProxy {
	const raw = text(env, "TRUST_PROXY");
	if (raw === undefined || raw.toLowerCase() === "false") return false;
	if (raw.toLowerCase() === "true") return true;
	if (/^\d+$/.test(raw)) {
		const hops = Number(raw);
		if (hops > 32) throw new ConfigError("TRUST_PROXY", `a hop count must be from 0 to 32, got "${raw}"`);
		return hops === 0 ? false : hops;
	}
	const entries = raw.split(",").map(s => s.trim()).filter(Boolean);
	try {
		proxyAddr.compile(entries);
	} catch (err) {
		throw new ConfigError(
			"TRUST_PROXY",
			`must be true, false, a hop count, or a comma list of addresses, CIDR ranges, loopback, linklocal or uniquelocal (${(err as Error).message})`
		);
	}
	return entries;
}

/**
 * Secrets copied from an example keep working for everyone who read the example, so they are
 * refused: the value docker-compose.yml once fell back to, and the usual "change me" wordings.
 */
const PLACEHOLDER_SECRETS = ["change-me-to-a-long-random-secret-0123456789"];
const PLACEHOLDER_WORDING = /change[-_ .]?me|replace[-_ .]?me|your[-_ .]?(jwt[-_ .]?|metrics[-_ .]?)?(secret|token)|placeholder/i;

function refusePlaceholderSecret(name: string, value: string | undefined): void {
	if (value === undefined) return;
	if (PLACEHOLDER_SECRETS.includes(value) || PLACEHOLDER_WORDING.test(value)) {
		throw new ConfigError(name, "is a placeholder from an example, which anyone can read: set a random one (`openssl rand -hex 32`)");
	}
}

function metricsAccess(env: Env): MetricsAccess {
	const token = text(env, "METRICS_TOKEN");
	if (token !== undefined && (token.length < 32 || !/^[\x21-\x7e]+$/.test(token))) {
		throw new ConfigError("METRICS_TOKEN", "must be at least 32 printable characters without spaces (e.g. `openssl rand -hex 32`)");
	}
	refusePlaceholderSecret("METRICS_TOKEN", token);
	const port = text(env, "METRICS_PORT") === undefined ? undefined : integer(env, "METRICS_PORT", 0, 1, 65535);
	if (port !== undefined && port === integer(env, "PORT", 3000, 0, 65535)) {
		throw new ConfigError("METRICS_PORT", "must differ from PORT: the metrics port is meant to stay off the public one");
	}
	return { token, port };
}

// --- end of gateway exposure ---

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
	refusePlaceholderSecret("JWT_SECRET", jwtSecret);
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
		trustProxy: trustProxy(env),
		metrics: metricsAccess(env),
		livenessFile: text(env, "LIVENESS_FILE") === undefined ? undefined : path.resolve(text(env, "LIVENESS_FILE")!),
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
		extraction: extractionSettings(env, memoryBudgetMb),
		analyzer: analyzerSettings(env, memoryBudgetMb),
		auth: authSettings(env, memoryBudgetMb),
		faults: faultSettings(env, memoryBudgetMb),
		jobs: jobSettings(env, memoryBudgetMb),
		// Upload lifecycle and progress streams (docs/documents.md, docs/analyses.md).
		uploadIdleTimeoutMs: integer(env, "UPLOAD_IDLE_TIMEOUT_MS", 30_000, 1_000, 3_600_000),
		progressStreams: {
			perNode: integer(env, "SSE_STREAMS_PER_NODE", Math.max(50, memoryBudgetMb), 1, 1_000_000),
			// 16 at the default 512 MB, 4 at 128: one user's tabs, never the whole node.
			perUser: integer(env, "SSE_STREAMS_PER_USER", Math.max(4, Math.floor(memoryBudgetMb / 32)), 1, 1_000_000),
		},
	};
}

function faultSettings(env: Env, memoryBudgetMb: number): FaultSettings {
	return {
		// 500 ms, not less: after the event loop itself stalls (a GC pause, a module loading) timers run
		// before I/O, so a reply that did arrive can still time out, and each timeout drops the connection.
		redisCommandTimeoutMs: integer(env, "REDIS_COMMAND_TIMEOUT_MS", 500, 10, 60_000),
		nodeTimeoutMs: integer(env, "NODE_TIMEOUT_MS", 1_500, 400, 600_000),
		shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 5_000, 1_000, 600_000),
		// Each PostgreSQL connection costs a few MB on both ends: 8 at 512 MB. Migrations need 2 (a lock and the work).
		databasePoolMax: integer(env, "DATABASE_POOL_MAX", Math.max(4, Math.min(20, Math.floor(memoryBudgetMb / 64))), 2, 1_000),
		databaseReservedConnections: integer(env, "DATABASE_RESERVED_CONNECTIONS", 3, 0, 1_000),
		databaseAcquireTimeoutMs: integer(env, "DATABASE_ACQUIRE_TIMEOUT_MS", 10_000, 100, 600_000),
		databaseConnectTimeoutMs: integer(env, "DATABASE_CONNECT_TIMEOUT_MS", 1_000, 100, 60_000),
	};
}
