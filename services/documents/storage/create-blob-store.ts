import type { Sequelize } from "sequelize";
import { isPostgres } from "../../../shared/db/database.ts";
import type { PlatformConfig } from "../../../shared/config.ts";
import type { BlobStore } from "./blob-store.ts";
import { FileBlobStore } from "./file-blob-store.ts";
import { PostgresBlobStore } from "./postgres-blob-store.ts";

/** PostgreSQL keeps the blobs when it keeps the metadata (nodes share no disk); SQLite means files under DATA_DIR. */
export function createBlobStore(sequelize: Sequelize, config: PlatformConfig): BlobStore {
	return isPostgres(sequelize) ? new PostgresBlobStore(sequelize) : new FileBlobStore(config.dataDir, sequelize);
}
