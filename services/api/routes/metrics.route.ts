import type { IncomingMessage, ServerResponse } from "node:http";
import type { Service } from "moleculer";

interface PrometheusReporterLike {
	generatePrometheusResponse(): string;
}

/** Serves Moleculer's Prometheus reporter text through the gateway, so one port is enough. */
export function metricsRoute() {
	return {
		path: "/metrics",
		authentication: false,
		bodyParsers: false,
		mappingPolicy: "restrict",
		logging: false,
		aliases: {
			"GET /"(this: Service, _req: IncomingMessage, res: ServerResponse) {
				const reporters = (this.broker.metrics as unknown as { reporter?: unknown[] }).reporter ?? [];
				const prometheus = reporters.find(r => typeof (r as PrometheusReporterLike).generatePrometheusResponse === "function") as
					| PrometheusReporterLike
					| undefined;
				res.statusCode = prometheus ? 200 : 404;
				res.setHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
				res.end(prometheus ? prometheus.generatePrometheusResponse() : "metrics are disabled\n");
			},
		},
	};
}
