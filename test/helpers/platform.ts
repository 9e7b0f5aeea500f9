import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { loadConfig, SERVICE_NAMES, type ServiceName, type PlatformConfig } from "../../shared/config.ts";
import { createBrokerOptions } from "../../shared/broker-options.ts";
import { createTestDatabase, type TestDatabase } from "./postgres.ts";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "./backing-services.ts";

export interface TestPlatform {
	broker: ServiceBroker;
	config: PlatformConfig;
	/** http://127.0.0.1:<port> of the gateway, when the api service runs. */
	baseUrl: string;
	dataDir: string;
	stop(): Promise<void>;
}

export interface TestPlatformOptions {
	/** Environment on top of the test defaults (PORT=0, a fresh DATA_DIR unless this sets DATA_DIR). */
	env?: Record<string, string | undefined>;
	services?: ServiceName[];
	/** Extra service schemas started beside the platform's own (test doubles of other nodes, probes). */
	extraServices?: ServiceSchema[];
}

const SERVICES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../services");

/** Every `*.service.ts` in a service's folder, as the runner loads them (documents also runs analyses). */
async function loadServiceSchemas(name: ServiceName): Promise<ServiceSchema[]> {
	const files = fs.readdirSync(path.join(SERVICES_DIR, name)).filter(f => f.endsWith(".service.ts")).sort();
	const modules = await Promise.all(files.map(f => import(path.join(SERVICES_DIR, name, f)) as Promise<{ default: ServiceSchema }>));
	return modules.map(m => m.default);
}

/**
 * Starts the platform in this process the way the runner does: same config loader, same broker
 * options, same service files. Port 0 and a temporary DATA_DIR keep suites apart; a DATA_DIR given
 * in `env` is used as it is and left in place by `stop()` (so a restart finds its data).
 */
export async function startPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
	const givenDataDir = options.env?.DATA_DIR;
	const dataDir = givenDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "platform-test-"));
	// Suites sign up many accounts from one address; the ones about the sign-up limit set their own.
	const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: process.env.LOG_LEVEL, AUTH_REGISTRATIONS_PER_HOUR: "0", ...options.env, DATA_DIR: dataDir });
	const broker = new ServiceBroker(createBrokerOptions(config));
	for (const name of options.services ?? SERVICE_NAMES) {
		for (const schema of await loadServiceSchemas(name)) broker.createService(schema);
	}
	for (const schema of options.extraServices ?? []) broker.createService(schema);
	await broker.start();
	let baseUrl = "";
	const api = broker.getLocalService("api") as unknown as { server?: Server } | undefined;
	if (api?.server) {
		const { port } = api.server.address() as AddressInfo;
		baseUrl = `http://127.0.0.1:${port}`;
		await waitForAliases(baseUrl);
	}
	return {
		broker,
		config,
		baseUrl,
		dataDir,
		async stop() {
			await broker.stop();
			if (givenDataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

/** The gateway builds its REST aliases shortly after services register; wait until it has. */
async function waitForAliases(baseUrl: string): Promise<void> {
	const deadline = Date.now() + 5_000;
	while (Date.now() < deadline) {
		const res = await fetch(`${baseUrl}/health/ready`);
		await res.arrayBuffer();
		if (res.status === 200) {
			await new Promise(r => setTimeout(r, 120));
			return;
		}
		await new Promise(r => setTimeout(r, 50));
	}
}

export interface Backend {
	name: string;
	/** Backing services this variant needs; the suite skips (locally) when one is missing. */
	requires: ("postgres" | "redis")[];
	/** Prepares the environment for one suite; returns it and a cleanup. */
	setup(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

/** Every integration suite runs on both storage/cache pairs the platform supports. */
export const BACKENDS: Backend[] = [
	{
		name: "SQLite + memory cacher",
		requires: [],
		async setup() {
			return { env: {}, cleanup: async () => {} };
		},
	},
	{
		name: "PostgreSQL + Redis cacher",
		requires: ["postgres", "redis"],
		async setup() {
			const db: TestDatabase = await createTestDatabase();
			const namespace = path.basename(new URL(db.url).pathname);
			// The platform shares its event loop with mocha and the test's own work here: a longer Redis
			// command timeout than production's keeps a stall of that loop from reading as a hanging Redis.
			return { env: { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace, REDIS_COMMAND_TIMEOUT_MS: "2000" }, cleanup: () => db.drop() };
		},
	},
];

/** What a suite's platform starts with: startPlatform's options, or a function making them in `before`, once the backend is ready (to start fake providers first, say). */
export type PlatformSetup = TestPlatformOptions | (() => TestPlatformOptions | Promise<TestPlatformOptions>);

/** A suite's running platform, as usePlatform's `before` hook started it; read it inside hooks and tests only. */
export interface SuitePlatform {
	readonly broker: ServiceBroker;
	readonly config: PlatformConfig;
	/** http://127.0.0.1:<port> of the gateway, when the api service runs. */
	readonly baseUrl: string;
	/** The suite's DATA_DIR: the same across restarts, removed after the suite. */
	readonly dataDir: string;
	/** The backend's environment under the suite's: what another node of this suite starts with (with a DATA_DIR of its own, unless the suite set one). */
	readonly env: Record<string, string | undefined>;
	/** Stops the platform and starts it again with the same options and the same DATA_DIR. */
	restart(): Promise<void>;
}

function isBackend(value: unknown): value is Backend {
	return typeof value === "object" && value !== null && Array.isArray((value as Backend).requires) && typeof (value as Backend).setup === "function";
}

/**
 * Registers the mocha hooks of a suite that runs against one platform: `before` skips (locally; fails
 * in CI) when the backend's services are not reachable, prepares the backend, makes the options and
 * starts the platform with the backend's environment under the suite's; `after` stops it and cleans
 * the backend up. Call it inside `describe`; hooks registered after it run after it (mocha runs
 * `before` and `after` hooks in the order they are registered). Without a backend the platform runs
 * on SQLite and the in-memory cache, as startPlatform does.
 */
export function usePlatform(setup?: PlatformSetup): SuitePlatform;
export function usePlatform(backend: Backend, setup?: PlatformSetup): SuitePlatform;
export function usePlatform(first?: Backend | PlatformSetup, second?: PlatformSetup): SuitePlatform {
	const backend = isBackend(first) ? first : undefined;
	const setup = isBackend(first) ? second : first;
	let current: TestPlatform | undefined;
	let options: TestPlatformOptions = {};
	let env: Record<string, string | undefined> = {};
	let dataDir: string | undefined;
	let cleanup: () => Promise<void> = async () => {};

	const running = (): TestPlatform => {
		if (!current) throw new Error("usePlatform: the suite's platform is not running (its before hook has not run, failed or was skipped)");
		return current;
	};

	before(async function () {
		if (backend) {
			await requireServices(this, ...backend.requires);
			const prepared = await backend.setup();
			cleanup = prepared.cleanup;
			env = { ...prepared.env };
		}
		const suite = typeof setup === "function" ? await setup() : (setup ?? {});
		env = { ...env, ...suite.env };
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-test-"));
		options = { ...suite, env: { DATA_DIR: dataDir, ...env } };
		current = await startPlatform(options);
	});

	after(async () => {
		try {
			await current?.stop();
		} finally {
			current = undefined;
			if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
			await cleanup();
		}
	});

	return {
		get broker() {
			return running().broker;
		},
		get config() {
			return running().config;
		},
		get baseUrl() {
			return running().baseUrl;
		},
		get dataDir() {
			return running().dataDir;
		},
		get env() {
			return { ...env };
		},
		async restart() {
			await running().stop();
			current = undefined;
			current = await startPlatform(options);
		},
	};
}

/** A split deployment in miniature: see useGatewayWithRemoteService. */
export interface GatewayWithRemoteService {
	/** The gateway (and the platform services asked for) in this process. */
	readonly platform: TestPlatform;
	/** The broker on "another node" running the given service; a test may stop it. */
	readonly remote: ServiceBroker;
}

/**
 * Registers the hooks of a suite whose gateway routes a service it has no schema of: `services` of
 * the platform run in this process, `schema` on a second broker, joined over NATS with PostgreSQL
 * and Redis as in distributed mode (a fresh database and namespace). Skips locally, fails in CI,
 * when those servers are not reachable.
 */
export function useGatewayWithRemoteService(schema: ServiceSchema, services: ServiceName[]): GatewayWithRemoteService {
	let db: TestDatabase | undefined;
	let platform: TestPlatform | undefined;
	let remote: ServiceBroker | undefined;

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		const namespace = `gw${Date.now().toString(36)}`;
		remote = new ServiceBroker({ namespace, nodeID: `${namespace}-remote`, transporter: { type: "NATS", options: { url: TEST_NATS_URL } }, logger: false });
		remote.createService(schema);
		await remote.start();
		platform = await startPlatform({
			services,
			env: { TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace, JWT_SECRET: "remote-service-test-secret-0123456789ab" },
		});
	});

	after(async () => {
		await remote?.stop();
		await platform?.stop();
		await db?.drop();
	});

	return {
		get platform() {
			if (!platform) throw new Error("useGatewayWithRemoteService: the suite's platform is not running");
			return platform;
		},
		get remote() {
			if (!remote) throw new Error("useGatewayWithRemoteService: the suite's remote broker is not running");
			return remote;
		},
	};
}
