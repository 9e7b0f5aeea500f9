/**
 * Child processes of the tests and benchmarks, the one implementation both use: spawned with their
 * output piped, the last 200 chunks of it kept for error messages, and every one remembered until
 * it is stopped, so that stopAllChildren() leaves nothing running.
 *
 * A child either leads its own process group (the default, for the benchmarks: stopping it stops
 * whatever it started too, a shell and its node, pg_ctl and postgres) or stays in this process's
 * group (the topology tests: a Ctrl-C in the terminal then reaches it together with mocha).
 */
import fs from "node:fs";
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface Child {
	name: string;
	process: ChildProcess;
	/** The last lines it wrote (stdout and stderr), for error messages. */
	output: string[];
	exited: Promise<void>;
	/** Whether it has exited. */
	readonly done: boolean;
	/** Whether it leads its own process group, which stopChild() then signals as a whole. */
	readonly ownGroup: boolean;
}

export interface ChildOptions extends Omit<SpawnOptions, "detached" | "stdio"> {
	/** Lead a new process group (default), or stay in this process's. */
	ownProcessGroup?: boolean;
}

/** Children whose process (group) may still be alive (a group's leader may be gone while what it started runs on). */
const running = new Set<Child>();

export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** Starts a command, by default as the leader of a new process group, keeping its last 200 lines of output. */
export function startChild(name: string, command: string, args: string[], options: ChildOptions = {}): Child {
	const { ownProcessGroup = true, ...spawnOptions } = options;
	const child = spawn(command, args, { ...spawnOptions, detached: ownProcessGroup, stdio: ["ignore", "pipe", "pipe"] });
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
	const entry: Child = {
		name,
		process: child,
		output,
		exited,
		ownGroup: ownProcessGroup,
		get done() {
			return done;
		},
	};
	running.add(entry);
	return entry;
}

/**
 * Signals the child (its whole process group, if it leads one) and waits until it is gone; after
 * `graceMs`, SIGKILLs it.
 */
export async function stopChild(child: Child, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
	signalChild(child, signal);
	const deadline = Date.now() + graceMs;
	// A group's leader (a shell) may exit before what it started (node, still shutting down): wait for the whole group.
	while (alive(child)) {
		if (Date.now() > deadline) signalChild(child, "SIGKILL");
		await sleep(20);
	}
	await child.exited;
	running.delete(child);
}

function alive(child: Child): boolean {
	if (!child.ownGroup) return !child.done;
	try {
		process.kill(-child.process.pid!, 0);
		return true;
	} catch {
		return false;
	}
}

function signalChild(child: Child, signal: NodeJS.Signals): void {
	try {
		if (child.ownGroup) process.kill(-child.process.pid!, signal);
		else if (!child.done) child.process.kill(signal);
	} catch {
		// already gone
	}
}

/** Kills every child still running; for `finally` blocks and abnormal exits. */
export async function stopAllChildren(): Promise<void> {
	await Promise.all([...running].map(child => stopChild(child, "SIGKILL", 2_000)));
}

/** SIGKILLs every child still running without waiting: the last resort of a process "exit" handler. */
export function killAllChildrenNow(): void {
	for (const child of running) signalChild(child, "SIGKILL");
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
