export interface HttpResult<T = any> {
	status: number;
	headers: Headers;
	body: T;
	text: string;
}

/** A small JSON client over fetch, for tests that talk to the gateway as a user would. */
export async function http<T = any>(
	baseUrl: string,
	method: string,
	path: string,
	options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: RequestInit["body"] } = {}
): Promise<HttpResult<T>> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.token) headers.authorization = `Bearer ${options.token}`;
	let body: RequestInit["body"] = options.raw;
	if (options.body !== undefined) {
		headers["content-type"] ??= "application/json";
		body = JSON.stringify(options.body);
	}
	const res = await fetch(baseUrl + path, { method, headers, body });
	const text = await res.text();
	let parsed: unknown = text;
	if ((res.headers.get("content-type") ?? "").includes("json") && text) {
		try {
			parsed = JSON.parse(text);
		} catch {
			parsed = text;
		}
	}
	return { status: res.status, headers: res.headers, body: parsed as T, text };
}
