import type { Migration } from "../../../shared/db/migrations.ts";
import { createLlmCalls } from "./0001-llm-calls.ts";
import { addFinishReason } from "./0002-llm-call-finish-reason.ts";

/** The llm service's schema history, oldest first. Never edit a released migration; add one. */
export const migrations: Migration[] = [createLlmCalls, addFinishReason];
