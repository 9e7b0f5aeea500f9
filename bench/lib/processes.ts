/**
 * Child processes of a benchmark: each started in its own process group, so that stopping it stops
 * whatever it started too (a shell and its node, pg_ctl and postgres), and every one is remembered,
 * so an error, Ctrl-C or the time limit never leaves a server running.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import fs from "node:fs";

export interface Child {
	name: string;
	process: ChildProcess;
	/** The last lines it wrote (stdout and stderr), for error messages. */
	output: string[];
	exited: Promise<void>;
	/** Whether it has exited. */
	readonly done: boolean;
}

/** Children whose process group may still be alive (the leader may be gone while what it started runs on). */
const running = new Set<Child>();

/** Starts a command as the leader of a new process group, keeping its last 200 lines of output. */
export function startChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
	const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
	const output: string[] = [];
	const keep = (chunk: Buffer) => {
		output.push(chunk.toString());
		if (output.length > 200) output.shift();
	};
	child.stdout?.on("data", keep);
	child.stderr?.on("data", keep);
	let done = false;
	let markExited = () => {};
	const exited = new Promise<void>(resolve => (markExited = resolve));
	const end = () => {
		done = true;
		markExited();
	};
	child.once("exit", end);
	// A command that cannot start at all reports through "error" and never through "exit".
	child.once("error", err => {
		output.push(String(err));
		end();
	});
	const entry: Child = { name, process: child, output, exited, get done() { return done; } };
	running.add(entry);
	return entry;
}

/** Signals the child's whole process group and waits until the group is gone; after `graceMs`, SIGKILLs it. */
export async function stopChild(child: Child, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
	signalGroup(child, signal);
	const deadline = Date.now() + graceMs;
	// The leader (a shell) may exit before what it started (node, still shutting down): wait for the whole group.
	while (groupAlive(child)) {
		if (Date.now() > deadline) signalGroup(child, "SIGKILL");
		await sleep(20);
	}
	await child.exited;
	running.delete(child);
}

function groupAlive(child: Child): boolean {
	try {
		process.kill(-child.process.pid!, 0);
		return true;
	} catch {
		return false;
	}
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
	try {
		process.kill(-child.process.pid!, signal);
	} catch {
		// the group is already gone
	}
}

/** Kills every child still running; for `finally` blocks and abnormal exits. */
export async function stopAllChildren(): Promise<void> {
	await Promise.all([...running].map(child => stopChild(child, "SIGKILL", 2_000)));
}

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
	process.once("exit", () => {
		for (const child of running) signalGroup(child, "SIGKILL");
	});
}

/** Resident memory of a process in MB (VmRSS), 0 once it is gone. */
export function rssMb(pid: number): number {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
		return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
	} catch {
		return 0;
	}
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

export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));
