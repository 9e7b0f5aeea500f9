import type { IncomingMessage, ServerResponse } from "node:http";
import type { Service } from "moleculer";
import type { MetricsAccess } from "../../../shared/config.ts";
import { metricsTokenAccepted, refuseMetrics } from "../../../shared/metrics-access.ts";

type Gateway = Service & { send404(req: IncomingMessage, res: ServerResponse): void };

interface PrometheusReporterLike {
	generatePrometheusResponse(): string;
}

/**
 * Serves Moleculer's Prometheus reporter text on the gateway's port, to holders of METRICS_TOKEN
 * only: the text names the host, the process and every action, which is a map for an attacker.
 * Without a token configured the path does not exist here (METRICS_PORT is the other way in).
 */
export function metricsRoute(access: MetricsAccess) {
	return {
		path: "/metrics",
		authentication: false,
		bodyParsers: false,
		mappingPolicy: "restrict",
		logging: false,
		aliases: {
			"GET /"(this: Gateway, req: IncomingMessage, res: ServerResponse) {
				// The gateway's own 404, so an unconfigured /metrics looks like any path that does not exist.
				if (!access.token) return this.send404(req, res);
				if (!metricsTokenAccepted(req, access.token)) return refuseMetrics(res);
				const reporters = (this.broker.metrics as unknown as { reporter?: unknown[] }).reporter ?? [];
				const prometheus = reporters.find(r => typeof (r as PrometheusReporterLike).generatePrometheusResponse === "function") as
					| PrometheusReporterLike
					| undefined;
				res.statusCode = prometheus ? 200 : 404;
				res.setHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
				res.setHeader("Cache-Control", "no-store");
				res.end(prometheus ? prometheus.generatePrometheusResponse() : "metrics are disabled\n");
			},
		},
	};
}
