import type { Migration } from "../../../shared/db/migrations.ts";
import { optimizerTables } from "./0001-optimizer-tables.ts";
import { studyWaits } from "./0002-study-waits.ts";

/** The optimizer service's schema history, oldest first. Never edit a released migration; add one. */
export const migrations: Migration[] = [optimizerTables, studyWaits];
