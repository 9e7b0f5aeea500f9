import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import type { Context, Middleware } from "moleculer";
import { badRequest, uploadStalled } from "./errors.ts";

export interface UploadGateOptions {
	/** No byte from the client for this long refuses the upload with 408 (UPLOAD_IDLE_TIMEOUT_MS). */
	idleTimeoutMs: number;
	/** Sends the gateway's error answer, for a refusal the gate makes on its own (a stalled sender). */
	answer(err: Error): void;
}

/**
 * Holds an uploaded file's end back until the whole request has been read without a problem, and
 * lets go of it at once when the request fails.
 *
 * moleculer-web's multipart alias streams each file to its action as the file arrives, so the
 * action may have stored a file before the request turns out to be bad (a second file, a
 * broken-off body): a refused upload would still have written something. Through the gate the
 * action sees the file end only once the request body has ended cleanly; if the request fails
 * first, the file fails instead (with the request's error), and the action writes nothing.
 *
 * A request that fails fails its files then and there: busboy never ends a file whose request
 * broke off, so a held file would otherwise keep the action's stream, the staged file and its
 * descriptor open for good. Failing means: the connection broke off (closed or reset), the
 * gateway answered with an error (its call timed out, a second file), or the sender went silent
 * for the idle timeout: then it is answered 408 and the connection closed (a silent sender is not
 * sending, so closing loses no answer). A sender that goes silent after an error answer, while
 * Node reads and discards the rest of its body, loses its connection the same way.
 */
class UploadGate {
	readonly #req: IncomingMessage;
	readonly #res: ServerResponse;
	readonly #options: UploadGateOptions;
	readonly #held = new Set<PassThrough>();
	readonly #settled: Promise<void>;
	#reject: (err: Error) => void = () => {};
	/** The request body has ended cleanly: too late to refuse the files. */
	#ended = false;
	#failure: Error | undefined;

	constructor(req: IncomingMessage, res: ServerResponse, options: UploadGateOptions) {
		this.#req = req;
		this.#res = res;
		this.#options = options;
		this.#settled = new Promise<void>((resolve, reject) => {
			// busboy parses each chunk as it is written, so by the request's end a second file or a
			// malformed part has already been refused through fail().
			req.once("end", () => {
				this.#ended = true;
				this.#stopIdleTimer();
				resolve();
			});
			this.#reject = reject;
		});
		// Nobody may be waiting yet (no file arrived): a refusal is not an unhandled rejection.
		this.#settled.catch(() => {});
		req.once("close", () => {
			this.#stopIdleTimer();
			if (!req.complete) this.fail(badRequest("The upload was interrupted before the whole request arrived"));
		});
		// The socket's own inactivity timer: every byte read restarts it, with no timer per chunk.
		req.setTimeout(options.idleTimeoutMs, this.#onIdle);
	}

	readonly #onIdle = () => {
		if (this.#res.headersSent) {
			// Already answered (an error): only the rest of an unwanted body was still awaited.
			this.#req.socket?.destroy();
			return;
		}
		const err = uploadStalled(`No data arrived for ${Math.round(this.#options.idleTimeoutMs / 1000)} s, so the upload was stopped; send it again`);
		this.#res.setHeader("Connection", "close");
		this.fail(err);
		this.#options.answer(err);
	};

	#stopIdleTimer(): void {
		// Node's server destroys a socket whose timeout fires with nobody listening: switch it off.
		this.#req.removeListener("timeout", this.#onIdle);
		this.#req.socket?.setTimeout(0);
	}

	/** The request is refused: every held file fails with this error, now and when it arrives. */
	fail(err: unknown): void {
		if (this.#failure || this.#ended) return;
		this.#failure = err instanceof Error ? err : new Error(String(err));
		this.#reject(this.#failure);
		for (const held of this.#held) held.destroy(this.#failure);
	}

	/** A stream that passes `file` through as it comes, but ends only when the request has. */
	hold(file: Readable): Readable {
		const held = new PassThrough();
		// The action may not be reading yet when the request fails (it is still preparing where to
		// stage the file): without a listener the error would crash the process. Whoever reads the
		// stream later still sees it (stream.finished and pipeline report an errored stream).
		held.on("error", () => {});
		// Once it no longer feeds the held stream, busboy's file stream must not stall the request.
		held.once("close", () => {
			this.#held.delete(held);
			file.unpipe(held);
			file.resume();
		});
		if (this.#failure) {
			held.destroy(this.#failure);
			return held;
		}
		this.#held.add(held);
		file.once("error", err => held.destroy(err));
		file.pipe(held, { end: false });
		file.once("end", () => this.#settled.then(() => held.end(), err => held.destroy(err)));
		return held;
	}
}

const GATE = Symbol("uploadGate");

type GatedContext = Context & { locals: { [GATE]?: UploadGate } };

const gates = new WeakMap<IncomingMessage, UploadGate>();

/** Puts a gate on a gateway request and its context; the files it streams to actions go through it. */
export function gateUploads(ctx: Context, req: IncomingMessage, res: ServerResponse, options: UploadGateOptions): void {
	const gate = new UploadGate(req, res, options);
	(ctx as GatedContext).locals[GATE] = gate;
	gates.set(req, gate);
}

/** The request was answered with an error: a file it streams must not be taken. */
export function refuseUploads(req: IncomingMessage, err: unknown): void {
	gates.get(req)?.fail(err);
}

/** Gives every stream a gated context sends to an action through its gate (a no-op for any other call). */
export function uploadGateMiddleware(): Middleware {
	// Moleculer's typings give the `call` hook the wrong type (a promise, not the wrapped call).
	return {
		name: "UploadGate",
		call(next: (actionName: string, params: unknown, opts: Record<string, unknown>) => Promise<unknown>) {
			return (actionName: string, params: unknown, opts: Record<string, unknown> = {}) => {
				const gate = (opts.parentCtx as GatedContext | undefined)?.locals?.[GATE];
				if (gate && opts.stream) return next(actionName, params, { ...opts, stream: gate.hold(opts.stream as Readable) });
				return next(actionName, params, opts);
			};
		},
	} as unknown as Middleware;
}
