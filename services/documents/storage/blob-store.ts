import type { Readable, Writable } from "node:stream";
import type { Transaction } from "sequelize";

/** An upload on its way into the store, not yet named by its hash. */
export interface StagingArea {
	/** Where the upload pipeline writes the bytes. */
	writable: Writable;
	/** Driver-specific name of the staged bytes. */
	key: string;
}

/**
 * Where original files live, named by their sha256 so the same bytes are kept once. The registry
 * of which contents exist, and the reference counting, are in blob-registry.ts; a driver only
 * moves bytes. Every method taking a transaction does its part inside it.
 */
export interface BlobStore {
	readonly driver: "file" | "postgres";
	/** Creates a staging area for an upload. */
	stage(): Promise<StagingArea>;
	/** Throws the staged bytes away (an upload that failed or was refused). */
	discard(key: string): Promise<void>;
	/** Makes staged bytes the content `sha256` (which the registry has just recorded as new). */
	promote(key: string, sha256: string, transaction: Transaction): Promise<void>;
	/** Removes the content `sha256` (which the registry has just found unreferenced). */
	remove(sha256: string, transaction: Transaction): Promise<void>;
	/** Streams the content. */
	read(sha256: string): Readable;
	/** The first `length` bytes (all of them for length = size) in a buffer of its own, for handing to a parser thread. */
	readStart(sha256: string, length: number): Promise<Uint8Array>;
	/** Removes staging areas no live upload can own (left by a process that died mid-upload); how many it removed. */
	sweepStaging(stale: StagingStaleness): Promise<number>;
}

/**
 * When staged bytes belong to no live upload. A driver uses what it can observe: a staged file's
 * last write (a live upload writes whenever bytes arrive, and the gateway cuts off one silent for
 * the idle timeout), or, where bytes land in large parts written rarely, the staging's age (no
 * upload outlives the gateway's call timeout).
 */
export interface StagingStaleness {
	/** Not written to for this long. */
	unwrittenForMs: number;
	/** Begun this long ago. */
	olderThanMs: number;
}
