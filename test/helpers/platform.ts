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
import { TEST_REDIS_URL } from "./backing-services.ts";

export interface TestPlatform {
	broker: ServiceBroker;
	config: PlatformConfig;
	/** http://127.0.0.1:<port> of the gateway, when the api service runs. */
	baseUrl: string;
	dataDir: string;
	stop(): Promise<void>;
}

export interface TestPlatformOptions {
	/** Environment on top of the test defaults (PORT=0, a fresh DATA_DIR). */
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
 * options, same service files. Port 0 and a temporary DATA_DIR keep suites apart.
 */
export async function startPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-test-"));
	const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL, ...options.env });
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
			fs.rmSync(dataDir, { recursive: true, force: true });
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
			return { env: { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, NAMESPACE: namespace }, cleanup: () => db.drop() };
		},
	},
];
