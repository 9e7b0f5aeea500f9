import * as session from "./session.ts";

/** An error answer of the platform, `{ error: { type, message, code } }`. */
export class ApiError extends Error {
	readonly status: number;
	readonly type: string;
	constructor(status: number, type: string, message: string) {
		super(message);
		this.status = status;
		this.type = type;
	}
}

/** Tells the auth service the caller is the console, which keeps its refresh token in an httpOnly cookie. */
const CONSOLE_HEADER = { "X-Console": "1" };

function errorFrom(status: number, body: unknown): ApiError {
	const error = (body as { error?: { type?: string; message?: string } } | null)?.error;
	return new ApiError(status, error?.type ?? "HTTP_ERROR", error?.message ?? `The server answered ${status}`);
}

async function parse(res: Response): Promise<unknown> {
	const text = await res.text();
	if (!text) return null;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

let refreshing: Promise<boolean> | undefined;

/** A new access token from the refresh cookie (or the in-memory fallback); one attempt shared by all callers. */
export function refreshSession(): Promise<boolean> {
	refreshing ??= (async () => {
		try {
			const fallback = session.refreshTokenFallback();
			const res = await fetch("/api/v1/auth/refresh", {
				method: "POST",
				credentials: "same-origin",
				headers: { "Content-Type": "application/json", ...CONSOLE_HEADER },
				body: JSON.stringify(fallback ? { refreshToken: fallback } : {}),
			});
			const body = await parse(res);
			if (!res.ok) {
				session.signedOut();
				return false;
			}
			session.signedIn(body as session.SignInAnswer);
			return true;
		} catch {
			return false;
		} finally {
			refreshing = undefined;
		}
	})();
	return refreshing;
}

function authHeaders(): Record<string, string> {
	const token = session.accessToken();
	return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Calls the API as the signed-in user; an expired access token is refreshed once, then the call repeats. */
export async function api<T = any>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		const headers: Record<string, string> = { ...authHeaders(), ...(path.startsWith("/api/v1/auth/") ? CONSOLE_HEADER : {}) };
		if (body !== undefined) headers["Content-Type"] = "application/json";
		const res = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body), signal });
		const parsed = await parse(res);
		if (res.ok) return parsed as T;
		if (res.status === 401 && attempt === 0 && session.accessToken() && (await refreshSession())) continue;
		if (res.status === 401) session.signedOut();
		throw errorFrom(res.status, parsed);
	}
}

/** Uploads one file as multipart field `file`, reporting progress (XMLHttpRequest: fetch cannot report upload progress). */
export function upload<T = any>(path: string, file: File, onProgress: (sent: number, total: number) => void): Promise<T> {
	const send = (): Promise<{ status: number; body: unknown }> =>
		new Promise((resolve, reject) => {
			const xhr = new XMLHttpRequest();
			xhr.open("POST", path);
			const token = session.accessToken();
			if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
			xhr.upload.addEventListener("progress", e => {
				if (e.lengthComputable) onProgress(e.loaded, e.total);
			});
			xhr.addEventListener("load", () => {
				let body: unknown = xhr.responseText;
				try {
					body = JSON.parse(xhr.responseText);
				} catch {
					// not JSON: keep the text
				}
				resolve({ status: xhr.status, body });
			});
			xhr.addEventListener("error", () => reject(new ApiError(0, "NETWORK_ERROR", "The upload could not reach the server")));
			xhr.addEventListener("abort", () => reject(new ApiError(0, "ABORTED", "The upload was cancelled")));
			const form = new FormData();
			form.append("file", file, file.name);
			xhr.send(form);
		});
	return (async () => {
		let result = await send();
		if (result.status === 401 && (await refreshSession())) result = await send();
		if (result.status >= 200 && result.status < 300) return result.body as T;
		if (result.status === 401) session.signedOut();
		throw errorFrom(result.status, result.body);
	})();
}

export { authHeaders };
