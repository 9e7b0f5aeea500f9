import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import os from "node:os";
import { loadConfig, ConfigError, SERVICE_NAMES } from "../../shared/config.ts";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { startChild, stopChild, sleep } from "../helpers/child-processes.ts";
import { startPlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
// Compose files use YAML merge keys (`<<: *anchor`).
const readYaml = (file: string) => parse(fs.readFileSync(path.join(ROOT, file), "utf8"), { merge: true });

/** `docker compose` (plugin) or `docker-compose` (standalone), whichever this machine has. */
async function composeCommand(): Promise<string[] | undefined> {
	for (const candidate of [["docker", "compose"], ["docker-compose"]]) {
		try {
			await run(candidate[0], [...candidate.slice(1), "version"]);
			return candidate;
		} catch {
			// try the next one
		}
	}
	return undefined;
}

/** Compose's `${VAR:-default}` as compose resolves it when VAR is unset. */
function withDefaults(environment: Record<string, string>): Record<string, string> {
	return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, "$1")]));
}

function servicesOf(startCommand: string): string[] {
	return /SERVICES=([\w,]+)/.exec(startCommand)?.[1].split(",") ?? [...SERVICE_NAMES];
}

describe("deployment files", () => {
	describe("docker-compose.yml", () => {
		it("is valid for docker compose, split and single-process profiles", async function () {
			const compose = await composeCommand();
			if (!compose) {
				if (process.env.CI === "true") throw new Error("neither `docker compose` nor `docker-compose` is installed");
				console.log("      skipped: neither `docker compose` nor `docker-compose` is installed");
				this.skip();
			}
			for (const profile of ["split", "single"]) {
				const { stdout } = await run(compose![0], [...compose!.slice(1), "-f", path.join(ROOT, "docker-compose.yml"), "--profile", profile, "config"], {
					env: { ...process.env, JWT_SECRET: "compose-validation-secret-0123456789abcdef" },
				});
				expect(parse(stdout).services, profile).to.include.keys("nats", "redis", "postgres");
			}
		});

		it("refuses to start without JWT_SECRET instead of falling back to a published one", async function () {
			const { services } = readYaml("docker-compose.yml");
			for (const [name, service] of Object.entries(services as Record<string, { image?: string; environment?: Record<string, string> }>)) {
				if (service.image !== "docanalysis-platform:latest") continue;
				expect(service.environment!.JWT_SECRET, name).to.match(/^\$\{JWT_SECRET:\?.+\}$/);
			}
			const compose = await composeCommand();
			if (!compose) {
				if (process.env.CI === "true") throw new Error("neither `docker compose` nor `docker-compose` is installed");
				this.skip();
			}
			const env = { ...process.env };
			delete env.JWT_SECRET;
			// An empty env file: a developer's own .env beside docker-compose.yml must not answer for the test.
			const emptyEnvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "compose-env-")), ".env");
			fs.writeFileSync(emptyEnvFile, "");
			let failure: { code?: number; stderr?: string } | undefined;
			try {
				await run(compose![0], [...compose!.slice(1), "--env-file", emptyEnvFile, "-f", path.join(ROOT, "docker-compose.yml"), "--profile", "split", "config"], { env, cwd: os.tmpdir() });
			} catch (err) {
				failure = err as { code?: number; stderr?: string };
			}
			expect(failure, "compose config succeeded without JWT_SECRET").to.not.equal(undefined);
			expect(failure!.stderr).to.contain("set JWT_SECRET to a random secret");
			fs.rmSync(path.dirname(emptyEnvFile), { recursive: true, force: true });
		});

		it("runs one service per container over NATS, and everything in one process in the single profile", () => {
			const { services } = readYaml("docker-compose.yml");
			for (const name of SERVICE_NAMES) {
				expect(services[name].profiles).to.deep.equal(["split"]);
				expect(services[name].environment.SERVICES).to.equal(name);
				expect(services[name].environment.TRANSPORTER).to.equal("nats://nats:4222");
				// What the container's environment says must pass the platform's own start-up validation.
				const config = loadConfig({ ...withDefaults(services[name].environment), JWT_SECRET: "x".repeat(40) });
				expect(config.mode).to.equal("distributed");
				expect(config.services).to.deep.equal([name]);
			}
			expect(services.single.profiles).to.deep.equal(["single"]);
			expect(loadConfig({ ...withDefaults(services.single.environment), JWT_SECRET: "x".repeat(40) }).mode).to.equal("embedded");
			expect(services.redis.command.join(" ")).to.contain("allkeys-lru");
		});
	});

	describe("Dockerfile", () => {
		const dockerfile = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
		it("builds in a build stage and runs compiled output as a non-root user with production dependencies only", () => {
			expect(dockerfile.match(/^FROM node:24/gm)).to.have.length(2);
			expect(dockerfile).to.match(/npm prune --omit=dev/);
			expect(dockerfile).to.match(/^USER node$/m);
			expect(dockerfile).to.match(/dist\/moleculer\.config\.js/);
			expect(dockerfile).to.match(/HEALTHCHECK/);
		});

		it("declares no VOLUME, which would leave an anonymous volume behind every container", () => {
			expect(dockerfile).to.not.match(/^\s*VOLUME\b/m);
		});

		it("has a HEALTHCHECK that reports a worker (PORT=0, no HTTP port) healthy while it runs, and unhealthy once it stops", async function () {
			this.timeout(60_000);
			await requireServices(this, "postgres", "redis", "nats");
			const check = /^HEALTHCHECK[^\n]*\\\n\s*CMD (.+)$/m.exec(dockerfile)?.[1] ?? /^HEALTHCHECK .*CMD (.+)$/m.exec(dockerfile)?.[1];
			expect(check, "HEALTHCHECK ... CMD <shell command>").to.be.a("string");
			const imageEnv = Object.fromEntries([...dockerfile.matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=(\S+?)\s*\\?$/gm)].map(m => [m[1], m[2]]));
			expect(imageEnv.LIVENESS_FILE, "the image sets LIVENESS_FILE").to.be.a("string");
			const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "healthcheck-"));
			const livenessFile = path.join(dataDir, "alive");
			const db = await createTestDatabase();
			const env = {
				PATH: process.env.PATH ?? "/usr/bin:/bin",
				HOME: process.env.HOME ?? os.tmpdir(),
				SERVICEDIR: "services",
				SERVICES: "llm",
				PORT: "0",
				TRANSPORTER: TEST_NATS_URL,
				DATABASE_URL: db.url,
				REDIS_URL: TEST_REDIS_URL,
				NAMESPACE: path.basename(new URL(db.url).pathname),
				JWT_SECRET: "healthcheck-test-secret-0123456789abcdef",
				DATA_DIR: dataDir,
				LOG_LEVEL: "warn",
				LIVENESS_FILE: livenessFile,
			};
			// The command as Docker runs it: `sh -c` in the container's environment.
			const healthy = async () => {
				try {
					await run("sh", ["-c", check!], { env });
					return true;
				} catch {
					return false;
				}
			};
			const worker = startChild("llm-worker", process.execPath, [path.join(ROOT, "node_modules/moleculer/bin/moleculer-runner.mjs"), "--config", "moleculer.config.ts", "--mask", "**/*.service.ts"], { cwd: ROOT, env });
			try {
				expect(await healthy(), "healthy before the worker started").to.equal(false);
				const deadline = Date.now() + 30_000;
				while (!(await healthy())) {
					if (Date.now() > deadline || worker.done) throw new Error(`the worker never reported healthy:\n${worker.output.join("")}`);
					await sleep(200);
				}
				await stopChild(worker, "SIGTERM", 15_000);
				expect(await healthy(), "healthy after the worker stopped").to.equal(false);
			} finally {
				await stopChild(worker, "SIGKILL", 2_000);
				await db.drop();
				fs.rmSync(dataDir, { recursive: true, force: true });
			}
		});
	});

	describe("placeholder secrets", () => {
		it("are refused by the configuration, naming the variable", () => {
			for (const secret of ["change-me-to-a-long-random-secret-0123456789", "please-CHANGE_ME-0123456789abcdefghijklmnop", "your-jwt-secret-goes-here-0123456789abcdef"]) {
				let error: unknown;
				try {
					loadConfig({ JWT_SECRET: secret });
				} catch (err) {
					error = err;
				}
				expect(error, secret).to.be.instanceOf(ConfigError);
				expect((error as ConfigError).variable).to.equal("JWT_SECRET");
				expect((error as ConfigError).message).to.match(/placeholder.*openssl rand -hex 32/);
			}
			expect(loadConfig({ JWT_SECRET: "b1946ac92492d2347c6235b4d2611184b1946ac92492d234" }).jwtSecret).to.have.length(48);
		});
	});

	describe("render.yaml (single instance)", () => {
		const blueprint = readYaml("render.yaml");
		const web = blueprint.services.find((s: { type: string }) => s.type === "web");
		const env = Object.fromEntries(web.envVars.map((v: { key: string }) => [v.key, v]));

		it("runs every service in one 512 MB web service, health-checked on /health/ready", () => {
			expect(web.plan).to.equal("starter");
			expect(web.healthCheckPath).to.equal("/health/ready");
			expect(web.buildCommand).to.match(/npm ci.*npm run build/);
			expect(web.startCommand).to.contain("dist/moleculer.config.js");
			expect(servicesOf(web.startCommand)).to.deep.equal([...SERVICE_NAMES]);
			expect(env.NODE_VERSION.value).to.equal("24");
		});

		it("wires PostgreSQL, an allkeys-lru Key Value, a generated JWT secret and unsynced provider keys", () => {
			expect(env.DATABASE_URL.fromDatabase.name).to.equal(blueprint.databases[0].name);
			expect(env.REDIS_URL.fromService.type).to.equal("keyvalue");
			const keyValue = blueprint.services.find((s: { type: string }) => s.type === "keyvalue");
			expect(keyValue.maxmemoryPolicy).to.equal("allkeys-lru");
			expect(env.JWT_SECRET.generateValue).to.equal(true);
			for (const key of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"]) expect(env[key].sync, key).to.equal(false);
		});
	});

	describe("render.split.yaml (services over NATS)", () => {
		const blueprint = readYaml("render.split.yaml");
		const platform = blueprint.services.filter((s: { startCommand?: string }) => s.startCommand);
		const gateway = platform.find((s: { type: string }) => s.type === "web");
		const envOf = (service: { envVars: { key?: string }[] }) => Object.fromEntries(service.envVars.filter(v => v.key).map(v => [v.key, v]));

		it("asks for provider keys on the service that runs llm, since Render ignores `sync: false` in envVarGroups", () => {
			for (const group of blueprint.envVarGroups ?? []) {
				for (const variable of group.envVars) expect(variable.sync, `${group.name}: ${variable.key}`).to.not.equal(false);
			}
			const llm = platform.filter((s: { startCommand: string }) => servicesOf(s.startCommand).includes("llm"));
			expect(llm).to.have.length(1);
			for (const key of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_COMPATIBLE_BASE_URL", "OPENAI_COMPATIBLE_API_KEY", "OPENAI_COMPATIBLE_MODELS"]) {
				expect(envOf(llm[0])[key]?.sync, key).to.equal(false);
			}
		});

		it("health-checks the gateway on a path that reports the workers without failing on them, and trusts the proxies as render.yaml does", () => {
			expect(gateway.healthCheckPath).to.equal("/health/gateway");
			const single = readYaml("render.yaml").services.find((s: { type: string }) => s.type === "web");
			expect(envOf(gateway).TRUST_PROXY.value).to.equal(envOf(single).TRUST_PROXY.value);
			expect(envOf(gateway).METRICS_TOKEN.generateValue).to.equal(true);
			expect(envOf(single).METRICS_TOKEN.generateValue).to.equal(true);
		});

		it("its gateway health path answers 200 while no worker runs, where /health/ready answers 503", async function () {
			this.timeout(60_000);
			await requireServices(this, "postgres", "redis", "nats");
			const db = await createTestDatabase();
			const namespace = path.basename(new URL(db.url).pathname);
			const api = await startPlatform({
				services: ["api"],
				env: { SERVICES: "api", TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace, JWT_SECRET: "gateway-health-secret-0123456789abcdef" },
			});
			try {
				const ready = await http(api.baseUrl, "GET", "/health/ready");
				expect(ready.status).to.equal(503);
				const gatewayHealth = await http(api.baseUrl, "GET", gateway.healthCheckPath);
				expect(gatewayHealth.status).to.equal(200);
				expect(gatewayHealth.body.status).to.equal("degraded");
				expect(gatewayHealth.body.checks).to.include({ transporter: "ok", auth: "not running", llm: "not running" });
			} finally {
				await api.stop();
				await db.drop();
			}
		});

		it("runs NATS privately from the official image and every service exactly once", () => {
			const nats = blueprint.services.find((s: { name: string }) => s.name === "docanalysis-nats");
			expect(nats.type).to.equal("pserv");
			expect(nats.image.url).to.match(/nats:/);
			const all = platform.flatMap((s: { startCommand: string }) => servicesOf(s.startCommand)).sort();
			expect(all).to.deep.equal([...SERVICE_NAMES].sort());
			expect(servicesOf(gateway.startCommand)).to.deep.equal(["api"]);
			for (const service of platform) {
				const keys = service.envVars.map((v: { key?: string }) => v.key);
				expect(keys, service.name).to.include.members(["TRANSPORTER", "DATABASE_URL", "REDIS_URL"]);
				// Render gives the private NATS address as host:port; the config must accept it.
				const config = loadConfig({ TRANSPORTER: "docanalysis-nats:4222", DATABASE_URL: "postgres://u@db/x", REDIS_URL: "redis://kv:6379", JWT_SECRET: "x".repeat(40), SERVICES: servicesOf(service.startCommand).join(",") });
				expect(config.transporter).to.equal("nats://docanalysis-nats:4222");
			}
		});
	});
});
