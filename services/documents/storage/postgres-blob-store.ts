import crypto from "node:crypto";
import { Readable, Writable } from "node:stream";
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import type { BlobStore, StagingArea, StagingStaleness } from "./blob-store.ts";

/** Bytes per row: small enough that one query never moves much, large enough to keep rows few. */
const PART_BYTES = 512 * 1024;
const STAGING_PREFIX = "staging:";

/**
 * Distributed mode: contents in PostgreSQL (no shared disk between nodes), in parts of
 * PART_BYTES. An upload is written under a staging key part by part as it arrives, then re-keyed
 * to its hash inside the transaction that registers it.
 */
export class PostgresBlobStore implements BlobStore {
	readonly driver = "postgres";
	readonly #sequelize: Sequelize;

	constructor(sequelize: Sequelize) {
		this.#sequelize = sequelize;
	}

	async #insertPart(key: string, seq: number, data: Buffer): Promise<void> {
		await this.#sequelize.query("INSERT INTO document_blob_parts (blob_key, seq, data, created_at) VALUES ($1, $2, $3, $4)", {
			bind: [key, seq, data, new Date()],
			type: QueryTypes.INSERT,
		});
	}

	async stage(): Promise<StagingArea> {
		const key = STAGING_PREFIX + crypto.randomUUID();
		let pending: Buffer[] = [];
		let pendingBytes = 0;
		let seq = 0;
		// The part being inserted: a destroyed stream waits for it, so a discard never runs before it lands.
		let inflight: Promise<void> = Promise.resolve();
		const flush = (all: boolean) => {
			inflight = (async () => {
				while (pendingBytes >= PART_BYTES || (all && pendingBytes > 0)) {
					const joined = Buffer.concat(pending, pendingBytes);
					const part = joined.subarray(0, Math.min(PART_BYTES, joined.length));
					const rest = joined.subarray(part.length);
					pending = rest.length > 0 ? [rest] : [];
					pendingBytes = rest.length;
					await this.#insertPart(key, seq++, part);
				}
			})();
			return inflight;
		};
		const writable = new Writable({
			write(chunk: Buffer, _encoding, callback) {
				pending.push(chunk);
				pendingBytes += chunk.length;
				flush(false).then(() => callback(), callback);
			},
			final(callback) {
				flush(true).then(() => callback(), callback);
			},
			destroy(err, callback) {
				inflight.then(
					() => callback(err),
					() => callback(err)
				);
			},
		});
		return { key, writable };
	}

	async discard(key: string): Promise<void> {
		await this.#sequelize.query("DELETE FROM document_blob_parts WHERE blob_key = $1", { bind: [key] });
	}

	async promote(key: string, sha256: string, transaction: Transaction): Promise<void> {
		await this.#sequelize.query("UPDATE document_blob_parts SET blob_key = $1 WHERE blob_key = $2", { bind: [sha256, key], transaction });
	}

	async remove(sha256: string, transaction: Transaction): Promise<void> {
		await this.#sequelize.query("DELETE FROM document_blob_parts WHERE blob_key = $1", { bind: [sha256], transaction });
	}

	async #part(sha256: string, seq: number): Promise<Buffer | undefined> {
		const rows = await this.#sequelize.query<{ data: Buffer }>("SELECT data FROM document_blob_parts WHERE blob_key = $1 AND seq = $2", {
			bind: [sha256, seq],
			type: QueryTypes.SELECT,
		});
		return rows[0]?.data;
	}

	read(sha256: string): Readable {
		const part = (seq: number) => this.#part(sha256, seq);
		return Readable.from(
			(async function* () {
				for (let seq = 0; ; seq++) {
					const data = await part(seq);
					if (!data) return;
					yield data;
				}
			})()
		);
	}

	async readStart(sha256: string, length: number): Promise<Uint8Array> {
		const bytes = new Uint8Array(length);
		let offset = 0;
		for (let seq = 0; offset < length; seq++) {
			const data = await this.#part(sha256, seq);
			if (!data) throw new Error(`Blob ${sha256} is shorter than ${length} bytes`);
			bytes.set(data.subarray(0, length - offset), offset);
			offset += Math.min(data.length, length - offset);
		}
		return bytes;
	}

	/** Parts are written per PART_BYTES, so a slow live upload may write none for minutes: only age tells. */
	async sweepStaging({ olderThanMs }: StagingStaleness): Promise<number> {
		const [, result] = await this.#sequelize.query("DELETE FROM document_blob_parts WHERE blob_key LIKE $1 AND created_at < $2", {
			bind: [`${STAGING_PREFIX}%`, new Date(Date.now() - olderThanMs)],
		});
		return (result as { rowCount?: number } | undefined)?.rowCount ?? 0;
	}
}
