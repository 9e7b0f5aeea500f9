import { PassThrough } from "node:stream";

export interface JobEventSource<TSnapshot> {
	/** The job now, or null once it is gone. */
	read(): Promise<TSnapshot | null>;
	/** Calls `listener` whenever the job may have changed; returns the unsubscribe. */
	subscribe(listener: () => void): () => void;
}

export interface JobEventStreamOptions<TSnapshot> {
	/**
	 * Writes the events a fresh snapshot calls for (only what changed since the last one) and says
	 * whether the job has ended; the stream ends after an ending snapshot.
	 */
	render(snapshot: TSnapshot, send: (event: string, data: unknown) => void): boolean;
	/** Re-read this often even without a notice: notices are nudges and may be lost. */
	pollMs: number;
	/** A comment line this often keeps proxies from closing an idle connection. */
	keepAliveMs: number;
	/** The stream ends after this long (an EventSource reconnects): a client gone unnoticed across the bus cannot hold it forever. */
	maxLifetimeMs: number;
	/** Called once when the stream ends, whichever way. */
	onClose?(): void;
}

/**
 * Server-sent events of one job, for moleculer-web (return it with `$responseType`
 * "text/event-stream"). Snapshots are read one at a time, in order, on every change notice and
 * every pollMs; a `gone` event ends the stream when the job disappears. The stream also ends when
 * the client leaves (the gateway destroys it) and after maxLifetimeMs.
 */
export function jobEventStream<TSnapshot>(source: JobEventSource<TSnapshot>, options: JobEventStreamOptions<TSnapshot>): PassThrough {
	const stream = new PassThrough();
	const send = (event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
	let closed = false;
	let reading: Promise<void> = Promise.resolve();
	let queued = false;

	const close = () => {
		if (closed) return;
		closed = true;
		unsubscribe();
		clearInterval(poll);
		clearInterval(keepAlive);
		clearTimeout(lifetime);
		options.onClose?.();
		if (!stream.writableEnded) stream.end();
	};

	const render = async () => {
		// A failed read is retried at the next notice or poll; the stream stays open.
		const snapshot = await source.read().catch(() => undefined);
		if (closed || snapshot === undefined) return;
		if (snapshot === null) {
			send("gone", { message: "It no longer exists" });
			return close();
		}
		if (options.render(snapshot, send)) close();
	};

	// Notices that arrive while a read waits to start share it.
	const refresh = () => {
		if (queued || closed) return;
		queued = true;
		reading = reading.then(() => {
			queued = false;
			return render();
		});
	};

	const unsubscribe = source.subscribe(refresh);
	const poll = setInterval(refresh, options.pollMs);
	const keepAlive = setInterval(() => stream.write(": keep-alive\n\n"), options.keepAliveMs);
	const lifetime = setTimeout(close, options.maxLifetimeMs);
	stream.once("close", close);
	stream.once("error", close);
	// How long an EventSource waits before reconnecting after the stream ends without an ending event.
	stream.write("retry: 2000\n\n");
	refresh();
	return stream;
}
