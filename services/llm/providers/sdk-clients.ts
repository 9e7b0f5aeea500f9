import type { ProviderEndpoint } from "../../../shared/config.ts";

/**
 * One SDK client per endpoint (base URL and key), made on first use, so an SDK is loaded only when
 * its provider is called. Several brokers in one process (tests) may point at different endpoints.
 */
export function sdkClients<T>(create: (endpoint: ProviderEndpoint, timeoutMs: number) => Promise<T>): (endpoint: ProviderEndpoint, timeoutMs: number) => Promise<T> {
	const clients = new Map<string, Promise<T>>();
	return (endpoint, timeoutMs) => {
		const key = `${endpoint.baseUrl ?? ""}\n${endpoint.apiKey ?? ""}\n${timeoutMs}`;
		let client = clients.get(key);
		if (!client) {
			client = create(endpoint, timeoutMs);
			clients.set(key, client);
			client.catch(() => clients.delete(key));
		}
		return client;
	};
}
