import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadConfig, SERVICE_NAMES } from "../../shared/config.ts";

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
		it("runs NATS privately from the official image and every service exactly once", () => {
			const nats = blueprint.services.find((s: { name: string }) => s.name === "docanalysis-nats");
			expect(nats.type).to.equal("pserv");
			expect(nats.image.url).to.match(/nats:/);
			const platform = blueprint.services.filter((s: { startCommand?: string }) => s.startCommand);
			const all = platform.flatMap((s: { startCommand: string }) => servicesOf(s.startCommand)).sort();
			expect(all).to.deep.equal([...SERVICE_NAMES].sort());
			const gateway = platform.find((s: { type: string }) => s.type === "web");
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
