/**
 * The logs, as a hostile client can reach them: a request id it chooses rides in every NATS packet
 * of its request, is echoed, and lands in every log line written for it.
 */
import type { HostileAttack } from "../attack.ts";
import { http } from "../../../test/helpers/http.ts";

const REQUESTS = 500;

/** 500 requests, each with an 8 KB X-Request-ID (Node's header limit is 16 KB). */
async function oversizedRequestIds(baseUrl: string): Promise<string> {
	const longest = { echoed: 0, status: 0 };
	for (let i = 0; i < REQUESTS; i++) {
		const res = await http(baseUrl, "GET", "/api/v1/documents", { headers: { "X-Request-ID": `${i}-${"x".repeat(8 * 1024)}` } });
		longest.echoed = Math.max(longest.echoed, res.headers.get("x-request-id")?.length ?? 0);
		longest.status = res.status;
	}
	return `${REQUESTS} × ${longest.status}; longest X-Request-ID echoed and logged: ${longest.echoed} chars`;
}

const attacks: HostileAttack[] = [{ name: "X-Request-ID 8 KB × 500 (log and packet bloat)", run: oversizedRequestIds }];

export default attacks;
