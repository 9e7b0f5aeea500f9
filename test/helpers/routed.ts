import { sleep } from "./child-processes.ts";

/**
 * Waits until the gateway serves the REST routes: /health/ready can answer 200 some 30-100 ms
 * before the aliases are built (issue 13 item 6), and a test that registers at once gets a 404.
 * Asks a route that needs a token: 401 means routed.
 */
export async function untilRouted(baseUrl: string, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const res = await fetch(`${baseUrl}/api/v1/auth/me`);
		await res.arrayBuffer();
		if (res.status !== 404) return;
		await sleep(50);
	}
	throw new Error(`the gateway still answered 404 for /api/v1/auth/me after ${timeoutMs} ms`);
}
