import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import type { Context, Middleware } from "moleculer";
import { badRequest } from "./errors.ts";

/**
 * Holds an uploaded file's end back until the whole request has been read without a problem.
 *
 * moleculer-web's multipart alias streams each file to its action as the file arrives, so the
 * action may have stored a file before the request turns out to be bad (a second file, a
 * broken-off body): a refused upload would still have written something. Through the gate the
 * action sees the file end only once the request body has ended cleanly; if the request fails
 * first, the file fails instead (with the request's error), and the action writes nothing.
 */
class UploadGate {
	readonly #settled: Promise<void>;
	#fail: (err: Error) => void = () => {};

	constructor(req: IncomingMessage) {
		this.#settled = new Promise<void>((resolve, reject) => {
			// busboy parses each chunk as it is written, so by the request's end a second file or a
			// malformed part has already been refused through fail().
			req.once("end", () => resolve());
			req.once("close", () => {
				if (!req.complete) reject(badRequest("The upload was interrupted before the whole request arrived"));
			});
			this.#fail = reject;
		});
		// Nobody may be waiting yet (no file arrived): a refusal is not an unhandled rejection.
		this.#settled.catch(() => {});
	}

	/** The request is refused: every held file fails with this error. */
	fail(err: unknown): void {
		this.#fail(err instanceof Error ? err : new Error(String(err)));
	}

	/** A stream that passes `file` through as it comes, but ends only when the request has. */
	hold(file: Readable): Readable {
		const held = new PassThrough();
		// The action may not be reading yet when the request fails (it is still preparing where to
		// stage the file): without a listener the error would crash the process. Whoever reads the
		// stream later still sees it (stream.finished and pipeline report an errored stream).
		held.on("error", () => {});
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
export function gateUploads(ctx: Context, req: IncomingMessage): void {
	const gate = new UploadGate(req);
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
