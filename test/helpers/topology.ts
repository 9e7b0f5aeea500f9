import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import crypto from "node:crypto";
import { startChild, stopChild, type Child } from "./child-processes.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RUNNER = path.join(ROOT, "node_modules/moleculer/bin/moleculer-runner.mjs");

export interface TopologyProcess {
	name: string;
	services: string[];
	child: ChildProcess;
	output: string[];
}

export interface Topology {
	baseUrl: string;
	processes: Map<string, TopologyProcess>;
	/** Starts (or restarts) one process of the topology. */
	start(name: string): Promise<TopologyProcess>;
	kill(name: string, signal?: NodeJS.Signals): Promise<void>;
	stop(): Promise<void>;
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
		server.once("error", reject);
	});
}

/**
 * Real processes started by the Moleculer runner, exactly as `npm start` with SERVICES set, joined
 * over a real NATS server. `layout` maps a process name to the services it runs.
 */
export async function startTopology(layout: Record<string, string[]>, env: Record<string, string>): Promise<Topology> {
	const port = await freePort();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "topology-"));
	const namespace = `t${crypto.randomBytes(4).toString("hex")}`;
	const processes = new Map<string, TopologyProcess>();
	const handles = new Map<string, Child>();

	const start = async (name: string): Promise<TopologyProcess> => {
		const services = layout[name];
		const handle = startChild(name, process.execPath, [RUNNER, "--config", "moleculer.config.ts", "--mask", "**/*.service.ts"], {
			// In mocha's process group: a Ctrl-C in the terminal stops the topology with the tests.
			ownProcessGroup: false,
			cwd: ROOT,
			env: {
				...process.env,
				...env,
				SERVICEDIR: "services",
				SERVICES: services.join(","),
				NAMESPACE: namespace,
				NODE_ID: `${name}-${crypto.randomBytes(2).toString("hex")}`,
				PORT: String(port),
				HOST: "127.0.0.1",
				DATA_DIR: dataDir,
				// A test that reads info or debug lines asks for them in `env`.
				LOG_LEVEL: env.LOG_LEVEL ?? process.env.TEST_LOG_LEVEL ?? "warn",
				NODE_ENV: "production",
			},
		});
		handles.set(name, handle);
		const proc = { name, services, child: handle.process, output: handle.output };
		processes.set(name, proc);
		return proc;
	};

	const kill = async (name: string, signal: NodeJS.Signals = "SIGKILL") => {
		const handle = handles.get(name);
		// A node shutting down gracefully may wait up to its own 10 s for requests in flight.
		if (handle) await stopChild(handle, signal, 30_000);
	};

	for (const name of Object.keys(layout)) await start(name);
	const baseUrl = `http://127.0.0.1:${port}`;
	const topology: Topology = {
		baseUrl,
		processes,
		start,
		kill,
		async stop() {
			await Promise.all([...processes.keys()].map(n => kill(n, "SIGTERM")));
			fs.rmSync(dataDir, { recursive: true, force: true });
		},
	};
	try {
		await waitUntilReady(baseUrl, processes, 30_000);
	} catch (err) {
		await topology.stop();
		throw err;
	}
	return topology;
}

export async function waitUntilReady(baseUrl: string, processes: Map<string, TopologyProcess>, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		for (const proc of processes.values()) {
			if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
				throw new Error(`process ${proc.name} exited with ${proc.child.exitCode}:\n${proc.output.join("").slice(-3000)}`);
			}
		}
		try {
			const res = await fetch(`${baseUrl}/health/ready`);
			await res.arrayBuffer();
			if (res.status === 200) {
				// The gateway regenerates REST aliases just after remote services appear.
				await new Promise(r => setTimeout(r, 300));
				return;
			}
		} catch {
			// not listening yet
		}
		await new Promise(r => setTimeout(r, 200));
	}
	const logs = [...processes.values()].map(p => `--- ${p.name}\n${p.output.join("").slice(-2000)}`).join("\n");
	throw new Error(`topology not ready within ${timeoutMs} ms\n${logs}`);
}
