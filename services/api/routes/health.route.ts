import type { IncomingMessage, ServerResponse } from "node:http";
import type { Service } from "moleculer";
import { platformConfig } from "../../../shared/platform.ts";
import { busIsDown } from "../../../shared/bus-outage.middleware.ts";

function sendJson(res: ServerResponse, status: number, body: unknown): void {
	res.statusCode = status;
	res.setHeader("Content-Type", "application/json; charset=utf-8");
	res.setHeader("Cache-Control", "no-store");
	res.end(JSON.stringify(body));
}

/** The services the platform needs besides the gateway; ready means each answers its health check. */
const BACKEND_SERVICES = ["auth", "documents", "analyses", "llm", "optimizer"];

function describeFailure(type: string | undefined): string {
	// REQUEST_REJECTED: its node was dropped (it died) while the check waited for it.
	if (type === "SERVICE_NOT_FOUND" || type === "SERVICE_NOT_AVAILABLE" || type === "REQUEST_REJECTED") return "not running";
	// A node that died without saying goodbye is still listed until its heartbeat times out.
	if (type === "REQUEST_TIMEOUT") return "not responding";
	return "unhealthy";
}

async function readiness(service: Service): Promise<{ ready: boolean; checks: Record<string, string> }> {
	const broker = service.broker;
	const checks: Record<string, string> = {};
	if (platformConfig(broker).transporter) {
		checks.transporter = broker.transit?.connected && !busIsDown(broker) ? "ok" : "disconnected";
	}
	await Promise.all(
		BACKEND_SERVICES.map(async name => {
			try {
				const health = await broker.call<{ database: boolean }, Record<string, never>>(`${name}.health`, {}, { timeout: 2_000, retries: 0 });
				checks[name] = health.database ? "ok" : "database unavailable";
			} catch (err) {
				checks[name] = describeFailure((err as { type?: string }).type);
			}
		})
	);
	return { ready: Object.values(checks).every(v => v === "ok"), checks };
}

/** RSS above this share of the memory budget makes readiness report "degraded". */
const MEMORY_HIGH_WATERMARK = 0.85;

function memoryState(budgetMb: number): { rssMb: number; budgetMb: number; high: boolean } {
	const rssMb = Math.round(process.memoryUsage.rss() / 1048576);
	return { rssMb, budgetMb, high: rssMb > budgetMb * MEMORY_HIGH_WATERMARK };
}

/** Liveness says the process answers; readiness says it can do the work (DB and transporter usable). */
export function healthRoute() {
	return {
		path: "/health",
		authentication: false,
		bodyParsers: false,
		mappingPolicy: "restrict",
		logging: false,
		aliases: {
			"GET /live"(this: Service, _req: IncomingMessage, res: ServerResponse) {
				sendJson(res, 200, { status: "ok", uptimeSeconds: Math.round(process.uptime()) });
			},
			async "GET /ready"(this: Service, _req: IncomingMessage, res: ServerResponse) {
				const { ready, checks } = await readiness(this);
				const memory = memoryState(platformConfig(this.broker).memoryBudgetMb);
				// Near the budget the node still serves (a restart would lose in-flight work) but says so.
				const status = !ready ? "not ready" : memory.high ? "degraded" : "ready";
				sendJson(res, ready ? 200 : 503, { status, checks, memory: { rssMb: memory.rssMb, budgetMb: memory.budgetMb } });
			},
			// A platform's health check for a gateway deployed on its own (render.split.yaml): restarting
			// the gateway brings no worker and no NATS back, so they are reported here, never failed on.
			async "GET /gateway"(this: Service, _req: IncomingMessage, res: ServerResponse) {
				const { ready, checks } = await readiness(this);
				sendJson(res, 200, { status: ready ? "ready" : "degraded", checks });
			},
		},
	};
}
