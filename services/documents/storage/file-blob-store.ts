import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import type { BlobStore, StagingArea, StagingStaleness } from "./blob-store.ts";

/**
 * Embedded mode: contents as files under DATA_DIR/blobs, named by their hash and fanned out over
 * two directory levels (ab/cd/abcd...). Uploads arrive in .staging/ and are renamed into place.
 */
export class FileBlobStore implements BlobStore {
	readonly driver = "file";
	readonly #root: string;
	readonly #staging: string;
	readonly #sequelize: Sequelize;

	constructor(dataDir: string, sequelize: Sequelize) {
		this.#root = path.join(dataDir, "blobs");
		this.#staging = path.join(this.#root, ".staging");
		this.#sequelize = sequelize;
	}

	#contentPath(sha256: string): string {
		if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Not a sha256: ${sha256}`);
		return path.join(this.#root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
	}

	#stagingPath(key: string): string {
		if (!/^[0-9a-f-]{36}$/.test(key)) throw new Error(`Not a staging key: ${key}`);
		return path.join(this.#staging, key);
	}

	async stage(): Promise<StagingArea> {
		await fsp.mkdir(this.#staging, { recursive: true });
		const key = crypto.randomUUID();
		return { key, writable: fs.createWriteStream(this.#stagingPath(key), { flags: "wx" }) };
	}

	async discard(key: string): Promise<void> {
		await fsp.rm(this.#stagingPath(key), { force: true });
	}

	async promote(key: string, sha256: string, _transaction: Transaction): Promise<void> {
		const target = this.#contentPath(sha256);
		await fsp.mkdir(path.dirname(target), { recursive: true });
		await fsp.rename(this.#stagingPath(key), target);
	}

	async remove(sha256: string, transaction: Transaction): Promise<void> {
		// The file goes only once the registry row is gone for good. An upload of the same bytes
		// may register it again in between, so look again in a transaction of its own.
		transaction.afterCommit(async () => {
			await this.#sequelize.transaction(async check => {
				const rows = await this.#sequelize.query("SELECT 1 FROM document_blobs WHERE sha256 = $1", { bind: [sha256], type: QueryTypes.SELECT, transaction: check });
				if (rows.length === 0) await fsp.rm(this.#contentPath(sha256), { force: true });
			});
		});
	}

	read(sha256: string): Readable {
		return fs.createReadStream(this.#contentPath(sha256));
	}

	async readStart(sha256: string, length: number): Promise<Uint8Array> {
		const bytes = new Uint8Array(length);
		const file = await fsp.open(this.#contentPath(sha256), "r");
		try {
			let offset = 0;
			while (offset < length) {
				const { bytesRead } = await file.read(bytes, offset, length - offset, offset);
				if (bytesRead === 0) throw new Error(`Blob ${sha256} is shorter than ${length} bytes`);
				offset += bytesRead;
			}
		} finally {
			await file.close();
		}
		return bytes;
	}

	/** A staged file's modification time is its last write. */
	async sweepStaging({ unwrittenForMs }: StagingStaleness): Promise<number> {
		let names: string[];
		try {
			names = await fsp.readdir(this.#staging);
		} catch {
			return 0;
		}
		const cutoff = Date.now() - unwrittenForMs;
		let removed = 0;
		for (const name of names) {
			const file = path.join(this.#staging, name);
			const stat = await fsp.stat(file).catch(() => undefined);
			if (stat && stat.mtimeMs < cutoff) {
				await fsp.rm(file, { force: true });
				removed++;
			}
		}
		return removed;
	}
}
