/**
 * The platform as production runs it: package.json's own `start` script (the compiled dist/, the
 * malloc setting and the V8 heap limit derived from MEMORY_BUDGET_MB), run by a shell exactly as
 * `npm start` runs it, minus the `prestart` build (the benchmarks build once beforehand).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/helpers/topology.ts";
import { nodeProcessInGroup, sleep, startChild, stopChild, type Child } from "./processes.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const START_SCRIPT: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.start;

export interface PlatformNode {
	name: string;
	child: Child;
	/** The node process (under the shell), whose memory is the platform's. */
	pid: number;
}

/**
 * Only what the platform needs from the benchmark's own environment: a developer's TRANSPORTER or
 * DATABASE_URL must not leak into an embedded run. This Node comes first on PATH, so the script's
 * `node` is the one running the benchmark.
 */
function baseEnv(): Record<string, string> {
	const keep = ["HOME", "LANG", "TMPDIR", "TZ"].filter(name => process.env[name] !== undefined);
	return {
		...Object.fromEntries(keep.map(name => [name, process.env[name]!])),
		PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
		NODE_ENV: "production",
		LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
	};
}

export function checkBuilt(): void {
	if (!fs.existsSync(path.join(ROOT, "dist/moleculer.config.js"))) {
		throw new Error("dist/ is missing: run `npm run build` first (npm run bench does)");
	}
}

/** Starts one platform process with `env` on top of the defaults; resolves once its node process exists. */
export async function startPlatformNode(name: string, env: Record<string, string>): Promise<PlatformNode> {
	const child = startChild(name, "/bin/sh", ["-c", START_SCRIPT], { cwd: ROOT, env: { ...baseEnv(), ...env } });
	for (let waited = 0; waited < 5_000; waited += 5) {
		const pid = nodeProcessInGroup(child.process.pid!);
		if (pid) return { name, child, pid };
		if (child.done) break;
		await sleep(5);
	}
	await stopChild(child, "SIGKILL");
	throw new Error(`${name}: the start script did not start node (exited: ${child.done}):\n${child.output.join("").slice(-2000)}`);
}

/**
 * Waits until GET /health/ready answers 200; answers the milliseconds since `since`. Throws when a
 * process exits meanwhile or the time runs out, with the processes' last output.
 */
export async function untilReady(baseUrl: string, nodes: PlatformNode[], since: number, timeoutMs = 30_000): Promise<number> {
	while (performance.now() - since < timeoutMs) {
		const dead = nodes.find(node => node.child.done);
		if (dead) throw new Error(`${dead.name} exited during start:\n${dead.child.output.join("").slice(-3000)}`);
		const status = await fetch(`${baseUrl}/health/ready`).then(
			async res => (await res.arrayBuffer(), res.status),
			() => 0
		);
		if (status === 200) return performance.now() - since;
		await sleep(10);
	}
	throw new Error(`not ready within ${timeoutMs} ms:\n${nodes.map(n => `--- ${n.name}\n${n.child.output.join("").slice(-1500)}`).join("\n")}`);
}

/** Waits until the gateway has built its REST aliases (a route answers 401 without a token, not 404). */
export async function untilRouted(baseUrl: string, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const statuses = await Promise.all(
			["/api/v1/documents", "/api/v1/auth/me", "/v1/models"].map(route =>
				fetch(baseUrl + route).then(
					async res => (await res.arrayBuffer(), res.status),
					() => 0
				)
			)
		);
		if (statuses.every(status => status === 401)) return;
		await sleep(50);
	}
	throw new Error(`the gateway did not route /api/v1 within ${timeoutMs} ms`);
}

/** Process name -> the services it runs; "all" is embedded mode (no SERVICES, no transporter). */
export type Layout = Record<string, string[] | "all">;

export const EMBEDDED: Layout = { platform: "all" };
/** One process per service, as docker-compose's split profile runs them. */
export const ONE_PROCESS_PER_SERVICE: Layout = { api: ["api"], auth: ["auth"], documents: ["documents"], llm: ["llm"], optimizer: ["optimizer"] };

export interface RunningPlatform {
	baseUrl: string;
	/** The processes now running (restart() replaces an entry). */
	nodes: PlatformNode[];
	/** ms from starting the processes to the first GET /health/ready = 200. */
	readyMs: number;
	/** Starts a process of the layout again (after kill()); does not wait for readiness. */
	restart(name: string): Promise<void>;
	kill(name: string, signal?: NodeJS.Signals): Promise<void>;
	stop(): Promise<void>;
}

/** Starts every process of `layout` at once and waits until the platform is ready and routed. */
export async function startPlatform(layout: Layout, env: Record<string, string>): Promise<RunningPlatform> {
	const port = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	const nodes: PlatformNode[] = [];
	const start = async (name: string) => {
		const services = layout[name];
		const node = await startPlatformNode(name, {
			...env,
			PORT: String(port),
			HOST: "127.0.0.1",
			...(services === "all" ? {} : { SERVICES: services.join(","), NODE_ID: `${name}-${Date.now().toString(36)}` }),
		});
		const at = nodes.findIndex(n => n.name === name);
		if (at >= 0) nodes[at] = node;
		else nodes.push(node);
	};
	const byName = (name: string) => nodes.find(n => n.name === name)!;
	const platform: RunningPlatform = {
		baseUrl,
		nodes,
		readyMs: 0,
		restart: start,
		kill: (name, signal = "SIGKILL") => stopChild(byName(name).child, signal, 15_000),
		stop: () => Promise.all(nodes.map(node => stopChild(node.child, "SIGTERM", 15_000))).then(() => undefined),
	};
	const started = performance.now();
	try {
		await Promise.all(Object.keys(layout).map(start));
		platform.readyMs = await untilReady(baseUrl, nodes, started);
		await untilRouted(baseUrl);
	} catch (err) {
		await platform.stop();
		throw err;
	}
	return platform;
}
