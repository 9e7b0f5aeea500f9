import { authHeaders, refreshSession } from "./api.ts";
import { SseParser, type ServerSentEvent } from "./sse-parser.ts";

/**
 * Follows a server-sent event stream until it ends, the signal aborts or the server refuses it.
 * Returns normally at the end of the stream so the caller can decide whether to reconnect.
 */
export async function followEvents(path: string, onEvent: (event: ServerSentEvent) => void, signal: AbortSignal): Promise<void> {
	let res = await fetch(path, { headers: { Accept: "text/event-stream", ...authHeaders() }, credentials: "same-origin", signal });
	if (res.status === 401 && (await refreshSession())) {
		res = await fetch(path, { headers: { Accept: "text/event-stream", ...authHeaders() }, credentials: "same-origin", signal });
	}
	if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
	const parser = new SseParser();
	const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
	try {
		for (;;) {
			const { value, done } = await reader.read();
			if (done) return;
			parser.push(value).forEach(onEvent);
		}
	} finally {
		reader.releaseLock();
	}
}

/**
 * Keeps a view fresh while a job runs: every event from the stream calls `refresh`, which reloads
 * the job and says whether it is finished. Events are treated as nudges, so the view always shows
 * the server's stored state; when the stream breaks the view looks again and reconnects.
 */
export async function liveRefresh(path: string, refresh: () => Promise<boolean>, signal: AbortSignal, onEvent?: (event: ServerSentEvent) => void): Promise<void> {
	const safeRefresh = () => refresh().catch(() => false);
	let finished = await safeRefresh();
	let failures = 0;
	while (!finished && !signal.aborted) {
		// Closed when the view goes away or the job is finished, whichever comes first.
		const stream = new AbortController();
		const stop = () => stream.abort();
		signal.addEventListener("abort", stop, { once: true });
		let pending = Promise.resolve();
		// Events that arrive while a reload waits share it: a burst of trials costs one reload.
		let queued = false;
		try {
			await followEvents(
				path,
				event => {
					onEvent?.(event);
					if (queued) return;
					queued = true;
					pending = pending.then(async () => {
						queued = false;
						finished = await safeRefresh();
						if (finished) stream.abort();
					});
				},
				stream.signal
			);
			failures = 0;
		} catch {
			if (!stream.signal.aborted) failures++;
		} finally {
			signal.removeEventListener("abort", stop);
		}
		await pending;
		if (finished || signal.aborted) return;
		await new Promise(resolve => setTimeout(resolve, Math.min(500 * 2 ** failures, 5_000)));
		if (!signal.aborted) finished = await safeRefresh();
	}
}
