import type { Migration } from "../../../shared/db/migrations.ts";
import { createLlmCalls } from "./0001-llm-calls.ts";

/** The llm service's schema history, oldest first. Never edit a released migration; add one. */
export const migrations: Migration[] = [createLlmCalls];
