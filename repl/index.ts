import type { ReplOptions } from "moleculer";
import { configCommand } from "./config.command.ts";

/** Extra commands for `npm run repl`, one file each. */
export const replCommands: NonNullable<ReplOptions["customCommands"]> = [configCommand];
