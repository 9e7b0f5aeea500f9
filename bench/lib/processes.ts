/**
 * Child processes of a benchmark: started by the tests' own helper (test/helpers/child-processes.ts),
 * each in its own process group, so that stopping it stops whatever it started too (a shell and its
 * node, pg_ctl and postgres), and every one is remembered, so an error, Ctrl-C or the time limit
 * never leaves a server running.
 */
import fs from "node:fs";
import { killAllChildrenNow, stopAllChildren } from "../../test/helpers/child-processes.ts";

export { rssMb, sleep, startChild, stopAllChildren, stopChild, type Child } from "../../test/helpers/child-processes.ts";

/**
 * Stops every child when the benchmark is interrupted, crashes, or runs past `limitMs`, and
 * runs `cleanup` (temporary directories) before exiting with an error.
 */
export function stopEverythingOnExit(limitMs: number, cleanup: () => void): void {
	const abort = (why: string) => {
		console.error(`\n${why}: stopping every process the benchmark started`);
		void stopAllChildren().finally(() => {
			cleanup();
			process.exit(1);
		});
	};
	setTimeout(() => abort(`time limit of ${limitMs / 1000} s reached`), limitMs).unref();
	process.once("SIGINT", () => abort("interrupted"));
	process.once("SIGTERM", () => abort("terminated"));
	process.once("uncaughtException", err => abort(`uncaught ${err.stack ?? err}`));
	process.once("unhandledRejection", err => abort(`unhandled rejection ${(err as Error)?.stack ?? err}`));
	// Synchronous last resort if the process exits some other way.
	process.once("exit", killAllChildrenNow);
}

const NODE_BINARY = fs.realpathSync(process.execPath);

/**
 * The process of the group led by `leader` that runs this Node binary (a shell's node, or the
 * leader itself). Matched by executable, not by name: Node renames its main thread "MainThread".
 */
export function nodeProcessInGroup(leader: number): number | undefined {
	for (const entry of fs.readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
			// "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ")".
			const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
			if (pgrp === leader && fs.readlinkSync(`/proc/${entry}/exe`) === NODE_BINARY) return Number(entry);
		} catch {
			// gone meanwhile, or not ours to inspect
		}
	}
	return undefined;
}
