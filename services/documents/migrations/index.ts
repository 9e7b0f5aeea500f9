import type { Migration } from "../../../shared/db/migrations.ts";
import { createDocuments } from "./0001-create-documents.ts";
import { createBlobStore } from "./0002-create-blob-store.ts";

/** The documents service's schema history, oldest first. Never edit a released migration; add one. */
export const migrations: Migration[] = [createDocuments, createBlobStore];
