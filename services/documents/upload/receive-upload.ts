import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { badRequest } from "../../../shared/errors.ts";
import type { BlobStore } from "../storage/blob-store.ts";
import { UploadInspector, type UploadInspection } from "./upload-inspector.ts";

export interface ReceivedUpload {
	stagingKey: string;
	inspection: UploadInspection;
}

function isClientError(err: unknown): boolean {
	const code = (err as { code?: unknown })?.code;
	return typeof code === "number" && code >= 400 && code < 500;
}

/**
 * Streams an upload into the blob store's staging area through the inspector (hash, size, type
 * evidence), never holding the file in memory. On any failure the staged bytes are removed, so
 * nothing half-written remains: over the limit is 413, a sender that broke off is 400, and a
 * failure of our own storage is rethrown as is (500).
 */
export async function receiveUpload(source: Readable, store: BlobStore, maxBytes: number): Promise<ReceivedUpload> {
	const inspector = new UploadInspector(maxBytes);
	const staging = await store.stage();
	// pipeline() passes the first error on to every stream, so whichever reports first is where it began.
	let origin: "sender" | "storage" | undefined;
	source.once("error", () => (origin ??= "sender"));
	staging.writable.once("error", () => (origin ??= "storage"));
	try {
		await pipeline(source, inspector, staging.writable);
	} catch (err) {
		// A write still under way would land after the discard; wait until the writer has closed.
		if (!staging.writable.closed) await new Promise(resolve => staging.writable.once("close", resolve));
		await store.discard(staging.key);
		// Our own 413, or the gateway's (its busboy stops a file at the same limit).
		if (isClientError(err)) throw err;
		if (origin === "sender") throw badRequest("The upload was interrupted before the whole file arrived");
		throw err;
	}
	return { stagingKey: staging.key, inspection: inspector.result() };
}
