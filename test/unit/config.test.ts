import { expect } from "chai";
import { loadConfig, ConfigError } from "../../shared/config.ts";

const DISTRIBUTED = {
	TRANSPORTER: "nats://127.0.0.1:4222",
	DATABASE_URL: "postgres://u@127.0.0.1/db",
	REDIS_URL: "redis://127.0.0.1:6379",
	JWT_SECRET: "x".repeat(32),
};

function configError(env: Record<string, string>): ConfigError {
	try {
		loadConfig(env);
	} catch (err) {
		if (err instanceof ConfigError) return err;
		throw err;
	}
	throw new Error("expected a ConfigError");
}

describe("configuration", () => {
	it("runs embedded with SQLite under ./data and every service when nothing is set", () => {
		const config = loadConfig({});
		expect(config.mode).to.equal("embedded");
		expect(config.port).to.equal(3000);
		expect(config.host).to.equal("0.0.0.0");
		expect(config.databaseUrl).to.equal(undefined);
		expect(config.dataDir).to.match(/\/data$/);
		expect(config.services).to.deep.equal(["api", "auth", "documents", "llm", "optimizer"]);
		expect(config.maxUploadBytes).to.equal(25 * 1024 * 1024);
		expect(config.memoryBudgetMb).to.equal(512);
	});

	it("switches to distributed mode from the environment alone", () => {
		const config = loadConfig({ ...DISTRIBUTED, SERVICES: "api, auth" });
		expect(config.mode).to.equal("distributed");
		expect(config.services).to.deep.equal(["api", "auth"]);
		expect(config.transporter).to.equal("nats://127.0.0.1:4222");
	});

	it("accepts a bare host:port transporter as NATS (Render's private hostport)", () => {
		expect(loadConfig({ ...DISTRIBUTED, TRANSPORTER: "docanalysis-nats:4222" }).transporter).to.equal("nats://docanalysis-nats:4222");
	});

	it("refuses a transporter with SQLite, naming DATABASE_URL", () => {
		const err = configError({ TRANSPORTER: "nats://127.0.0.1:4222" });
		expect(err.variable).to.equal("DATABASE_URL");
		expect(err.message).to.match(/SQLite/);
	});

	it("requires REDIS_URL and JWT_SECRET in distributed mode", () => {
		expect(configError({ ...DISTRIBUTED, REDIS_URL: "" }).variable).to.equal("REDIS_URL");
		expect(configError({ ...DISTRIBUTED, JWT_SECRET: "" }).variable).to.equal("JWT_SECRET");
	});

	it("rejects unknown values instead of ignoring them", () => {
		expect(configError({ SERVICES: "api,billing" }).message).to.match(/unknown service\(s\) billing/);
		expect(configError({ LOG_LEVEL: "verbose" }).variable).to.equal("LOG_LEVEL");
		expect(configError({ PORT: "80a" }).variable).to.equal("PORT");
		expect(configError({ PORT: "70000" }).variable).to.equal("PORT");
		expect(configError({ TRANSPORTER: "amqp://x" }).variable).to.equal("TRANSPORTER");
		expect(configError({ DATABASE_URL: "mysql://x/y" }).variable).to.equal("DATABASE_URL");
		expect(configError({ REDIS_URL: "not a url" }).variable).to.equal("REDIS_URL");
		expect(configError({ MAX_UPLOAD_BYTES: "-5" }).variable).to.equal("MAX_UPLOAD_BYTES");
		expect(configError({ JWT_SECRET: "short" }).variable).to.equal("JWT_SECRET");
		expect(configError({ OPENAI_BASE_URL: "ftp://x" }).variable).to.equal("OPENAI_BASE_URL");
	});

	it("refuses a partial SERVICES list without a transporter, since the rest would be unreachable", () => {
		expect(configError({ SERVICES: "api" }).variable).to.equal("TRANSPORTER");
	});

	it("reads provider settings", () => {
		const config = loadConfig({ OPENAI_API_KEY: "sk-1", OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:11434/v1", OPENAI_COMPATIBLE_MODELS: "llama3, qwen2" });
		expect(config.providers.openai.apiKey).to.equal("sk-1");
		expect(config.providers.openaiCompatible.models).to.deep.equal(["llama3", "qwen2"]);
	});

	it("sizes the job queues' limits from the memory budget, and validates their variables", () => {
		expect(loadConfig({}).jobs).to.deep.equal({ concurrency: 8, userRunningMax: 4, userActiveMax: 64, activePerNodeMax: 128, userActiveStudiesMax: 5, outageWindowMs: 600_000 });
		expect(loadConfig({ MEMORY_BUDGET_MB: "128" }).jobs).to.include({ concurrency: 2, userRunningMax: 1, userActiveMax: 16, activePerNodeMax: 32 });
		expect(loadConfig({ JOBS_CONCURRENCY: "3", JOBS_OUTAGE_WINDOW_MINUTES: "2" }).jobs).to.include({ concurrency: 3, userRunningMax: 2, activePerNodeMax: 48, outageWindowMs: 120_000 });
		for (const variable of ["JOBS_CONCURRENCY", "JOBS_USER_RUNNING_MAX", "JOBS_USER_ACTIVE_MAX", "JOBS_ACTIVE_PER_NODE_MAX", "OPTIMIZER_USER_ACTIVE_STUDIES_MAX", "JOBS_OUTAGE_WINDOW_MINUTES"]) {
			expect(configError({ [variable]: "0" }).variable).to.equal(variable);
		}
	});
});
