/**
 * The gateway's edge, as a hostile client sees it: addresses written into X-Forwarded-For, metrics
 * scraped without a token, answers a cache would keep, listeners nobody asked for.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { HostileAttack } from "../attack.ts";
import { http } from "../../../test/helpers/http.ts";
import { listeningSockets } from "../../../test/helpers/listening-sockets.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const CLOUDFLARE_EDGE = "104.22.17.40";
const METRICS_TOKEN = "bench-hostile-metrics-token-0123456789abcdef";

/** render.yaml's TRUST_PROXY, plus loopback standing in for Render's private proxy (the bench connects from 127.0.0.1). */
function renderTrustProxy(): string {
	const web = parse(fs.readFileSync(path.join(ROOT, "render.yaml"), "utf8")).services.find((s: { type: string }) => s.type === "web");
	return `${web.envVars.find((v: { key: string }) => v.key === "TRUST_PROXY").value}, loopback`;
}

async function remaining(baseUrl: string, forwardedFor: string): Promise<string> {
	const res = await http(baseUrl, "GET", "/api/v1/auth/me", { headers: { "x-forwarded-for": forwardedFor } });
	return res.headers.get("x-rate-limit-remaining") ?? "?";
}

/** Spoofing: three clients' requests through one Cloudflare edge, one with invented addresses in front. */
async function threeClientsBehindOneEdge(baseUrl: string): Promise<string> {
	const counts = [
		await remaining(baseUrl, `198.51.100.1, ${CLOUDFLARE_EDGE}`),
		await remaining(baseUrl, `198.51.100.2, ${CLOUDFLARE_EDGE}`),
		await remaining(baseUrl, `203.0.113.9, 198.51.100.3, ${CLOUDFLARE_EDGE}`),
	];
	return `limit left per request: ${counts.join(" / ")} (${new Set(counts).size === 1 ? "one bucket each" : "shared bucket"})`;
}

/** The bench's child process listening on `port` (the platform; a scan of every process would stall the bystander). */
function pidListeningOn(port: number): number | undefined {
	const childrenOf = (task: string) => {
		try {
			return fs.readFileSync(`/proc/self/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
		} catch {
			return []; // a kernel without CONFIG_PROC_CHILDREN
		}
	};
	const children = fs.readdirSync("/proc/self/task").flatMap(childrenOf);
	for (const entry of children) {
		try {
			if (listeningSockets(Number(entry)).some(s => s.port === port)) return Number(entry);
		} catch {
			// another user's process, or gone
		}
	}
	return undefined;
}

const attacks: HostileAttack[] = [
	{
		name: "X-Forwarded-For: 3 clients behind one Cloudflare edge (Render TRUST_PROXY)",
		env: { TRUST_PROXY: renderTrustProxy() },
		run: threeClientsBehindOneEdge,
	},
	{
		name: "X-Forwarded-For: invented addresses, TRUST_PROXY unset",
		run: async baseUrl => {
			const counts = [await remaining(baseUrl, "198.51.100.1"), await remaining(baseUrl, "198.51.100.2"), await remaining(baseUrl, `198.51.100.3, ${CLOUDFLARE_EDGE}`)];
			return `limit left per request: ${counts.join(" / ")} (${new Set(counts).size === 1 ? "header believed" : "header ignored, one bucket"})`;
		},
	},
	{
		name: "GET /metrics without / with a wrong token (METRICS_TOKEN set)",
		env: { METRICS_TOKEN },
		run: async baseUrl => {
			const none = await http(baseUrl, "GET", "/metrics");
			const wrong = await http(baseUrl, "GET", "/metrics", { token: "guess" });
			const right = await http(baseUrl, "GET", "/metrics", { token: METRICS_TOKEN });
			return `${none.status} ${none.body?.error?.type ?? ""} / ${wrong.status} / with token ${right.status}`;
		},
	},
	{
		name: "GET /metrics, no METRICS_TOKEN configured",
		run: async baseUrl => {
			const res = await http(baseUrl, "GET", "/metrics");
			return `${res.status} ${res.body?.error?.type ?? res.text.slice(0, 40)}`;
		},
	},
	{
		name: "Cache-Control of a sign-up answer (tokens) and a 401",
		run: async baseUrl => {
			const signUp = await http(baseUrl, "POST", "/api/v1/auth/register", { body: { email: `bench-${Date.now()}@example.test`, password: "Pw-" + "k3Jq9xZ2mV7tR4wY8pL1".repeat(2) } });
			const refused = await http(baseUrl, "GET", "/api/v1/auth/me");
			return `${signUp.status}: ${signUp.headers.get("cache-control")}; ${refused.status}: ${refused.headers.get("cache-control")}`;
		},
	},
	{
		name: "listening sockets of the platform process (HOST=127.0.0.1)",
		run: async baseUrl => {
			const port = Number(new URL(baseUrl).port);
			const pid = pidListeningOn(port);
			if (pid === undefined) return "platform process not found";
			return listeningSockets(pid).map(s => `${s.address}:${s.port}${s.port === port ? " (PORT)" : ""}`).join(", ");
		},
	},
];

export default attacks;
