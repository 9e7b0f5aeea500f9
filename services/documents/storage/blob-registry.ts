import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { isPostgres } from "../../../shared/db/database.ts";
import type { BlobStore } from "./blob-store.ts";

/**
 * Reference counting for content-addressed blobs. `document_blobs` has one row per stored content;
 * documents reference it by sha256. A content is written once, however many documents share it,
 * and removed with the last document that references it.
 *
 * Races: on PostgreSQL the registry row is locked (FOR SHARE by an upload that reuses it,
 * FOR UPDATE by a delete that may remove it), so an upload never attaches to a content a
 * concurrent delete is removing. SQLite runs one write transaction at a time, which gives the same.
 */

/** Inserts the registry row unless it exists; true when this call inserted it. */
async function registerIfAbsent(sequelize: Sequelize, sha256: string, size: number, transaction: Transaction): Promise<boolean> {
	if (isPostgres(sequelize)) {
		// Waits for a concurrent insert of the same content to commit or roll back, then decides.
		const inserted = await sequelize.query("INSERT INTO document_blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING RETURNING sha256", {
			bind: [sha256, size, new Date()],
			type: QueryTypes.SELECT,
			transaction,
		});
		return inserted.length > 0;
	}
	// SQLite: this is the only write transaction running, so looking first cannot race.
	const existing = await sequelize.query("SELECT sha256 FROM document_blobs WHERE sha256 = $1", { bind: [sha256], type: QueryTypes.SELECT, transaction });
	if (existing.length > 0) return false;
	await sequelize.query("INSERT INTO document_blobs (sha256, size, created_at) VALUES ($1, $2, $3)", { bind: [sha256, size, new Date()], transaction });
	return true;
}

/**
 * Inside `transaction`: records the staged upload as content `sha256`, or reports that the content
 * is already stored (the caller then discards its staged copy). The caller inserts its document
 * row in the same transaction.
 */
export async function attachBlob(sequelize: Sequelize, store: BlobStore, stagingKey: string, sha256: string, size: number, transaction: Transaction): Promise<"stored" | "deduplicated"> {
	const lock = isPostgres(sequelize) ? " FOR SHARE" : "";
	// A concurrent delete can remove the row between the insert attempt and the lock; try again then.
	for (let attempt = 0; attempt < 3; attempt++) {
		if (await registerIfAbsent(sequelize, sha256, size, transaction)) {
			await store.promote(stagingKey, sha256, transaction);
			return "stored";
		}
		const existing = await sequelize.query(`SELECT sha256 FROM document_blobs WHERE sha256 = $1${lock}`, { bind: [sha256], type: QueryTypes.SELECT, transaction });
		if (existing.length > 0) return "deduplicated";
	}
	throw new Error(`Could not register blob ${sha256}: it kept being removed concurrently`);
}

/**
 * Inside `transaction`, after the caller removed a document row: removes the content when no
 * document references it any more.
 */
export async function releaseBlob(sequelize: Sequelize, store: BlobStore, sha256: string, transaction: Transaction): Promise<boolean> {
	const lock = isPostgres(sequelize) ? " FOR UPDATE" : "";
	const registered = await sequelize.query(`SELECT sha256 FROM document_blobs WHERE sha256 = $1${lock}`, { bind: [sha256], type: QueryTypes.SELECT, transaction });
	if (registered.length === 0) return false;
	const [{ n: references }] = await sequelize.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM documents WHERE sha256 = $1", {
		bind: [sha256],
		type: QueryTypes.SELECT,
		transaction,
	});
	if (Number(references) > 0) return false;
	await sequelize.query("DELETE FROM document_blobs WHERE sha256 = $1", { bind: [sha256], transaction });
	await store.remove(sha256, transaction);
	return true;
}
