import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { MetricReporters, type MetricRegistry } from "moleculer";
import type { MetricsAccess } from "./config.ts";

/**
 * Whether the request carries `Authorization: Bearer <METRICS_TOKEN>`. Digests of equal length are
 * compared in constant time, so the answer's timing says nothing about how much of a guess matched.
 */
export function metricsTokenAccepted(req: IncomingMessage, token: string | undefined): boolean {
	if (!token) return false;
	const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
	if (!match) return false;
	const digest = (value: string) => crypto.createHash("sha256").update(value).digest();
	return crypto.timingSafeEqual(digest(match[1]), digest(token));
}

/** The platform's error shape for a metrics request without the token (no stack, no hint of what is there). */
export function refuseMetrics(res: ServerResponse): void {
	res.statusCode = 401;
	res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
	res.setHeader("Content-Type", "application/json; charset=utf-8");
	res.setHeader("Cache-Control", "no-store");
	res.end(JSON.stringify({ error: { type: "UNAUTHORIZED", message: "Metrics need Authorization: Bearer <METRICS_TOKEN>", code: 401 } }));
}

const PrometheusReporter = MetricReporters.Prometheus;
const BaseReporter = MetricReporters.Base;

export interface GuardedPrometheusOptions {
	access: MetricsAccess;
	host: string;
	includes: string[];
}

/**
 * Moleculer's Prometheus reporter opens a listener of its own in every process: on all interfaces
 * by default, and on a random port of all interfaces when given port 0, whatever HOST says. Here it
 * listens only when METRICS_PORT asks for it, bound to HOST and asking for METRICS_TOKEN when one
 * is set; otherwise it only keeps the text, which the gateway serves at /metrics behind the token.
 */
export class GuardedPrometheusReporter extends PrometheusReporter {
	private readonly access: MetricsAccess;

	constructor({ access, host, includes }: GuardedPrometheusOptions) {
		// `port: null` is never used to listen; a number would be, so it stays out unless asked for.
		super({ includes, ...(access.port ? { port: access.port, host } : { port: null as unknown as number }) });
		this.access = access;
	}

	init(registry: MetricRegistry): void {
		if (this.access.port) return super.init(registry);
		BaseReporter.prototype.init.call(this, registry);
		// What PrometheusReporter.init sets besides its listener: the namespace and nodeID labels.
		const labels = this.opts.defaultLabels;
		(this as unknown as { defaultLabels: unknown }).defaultLabels = typeof labels === "function" ? labels.call(this, registry) : labels;
	}

	stop(): Promise<void> {
		return this.server ? super.stop() : Promise.resolve();
	}

	handler(req: IncomingMessage, res: ServerResponse): void {
		if (this.access.token && !metricsTokenAccepted(req, this.access.token)) return refuseMetrics(res);
		super.handler(req, res);
	}
}
