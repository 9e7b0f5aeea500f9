import type { Migration } from "../../../../shared/db/migrations.ts";
import { analysesTable } from "./0001-analyses-table.ts";
import { analysisWaits } from "./0002-analysis-waits.ts";

/** The analyses service's schema history, oldest first. Never edit a released migration; add one. */
export const migrations: Migration[] = [analysesTable, analysisWaits];
