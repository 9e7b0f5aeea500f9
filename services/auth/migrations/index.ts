import type { Migration } from "../../../shared/db/migrations.ts";
import { authTables } from "./0001-auth-tables.ts";
import { sessionRevocations } from "./0002-session-revocations.ts";
import { sessionLastUsed } from "./0003-session-last-used.ts";

/** The auth service's schema history, oldest first. Never edit a released migration; add one. */
export const migrations: Migration[] = [authTables, sessionRevocations, sessionLastUsed];
