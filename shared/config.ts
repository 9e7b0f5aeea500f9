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
	logLevel: LogLevel;
	/** undefined in embedded mode until the auth service generates one under dataDir. */
	jwtSecret?: string;
	maxUploadBytes: number;
	/** The one memory figure every cache, pool and concurrency limit is derived from. */
	memoryBudgetMb: number;
	providers: {
		openai: ProviderEndpoint;
		anthropic: ProviderEndpoint;
		gemini: ProviderEndpoint;
		openaiCompatible: ProviderEndpoint & { models: string[] };
	};
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
		if (!jwtSecret) {
			throw new ConfigError("JWT_SECRET", "TRANSPORTER is set (distributed mode), so set JWT_SECRET: every node must verify the same tokens");
		}
	}

	const services = serviceList(env);
	if (mode === "embedded" && text(env, "SERVICES") !== undefined && services.length < SERVICE_NAMES.length) {
		throw new ConfigError(
			"TRANSPORTER",
			`SERVICES runs only ${services.join(", ")}, so the others must run elsewhere: set TRANSPORTER=nats://host:4222`
		);
	}

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
		logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
		jwtSecret,
		maxUploadBytes: integer(env, "MAX_UPLOAD_BYTES", 25 * 1024 * 1024, 1, 2 ** 40),
		memoryBudgetMb: integer(env, "MEMORY_BUDGET_MB", 512, 128, 1024 * 1024),
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
	};
}
