import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RUNNER = ["node_modules/moleculer/bin/moleculer-runner.mjs", "--config", "moleculer.config.ts", "--mask", "**/*.service.ts"];

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs the platform's start command as `npm start` does, feeding `input` to its stdin. */
function run(env: Record<string, string>, extraArgs: string[] = [], input?: string, timeoutMs = 20_000): Promise<Run> {
	return new Promise((resolve, reject) => {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "start-"));
		const child = spawn(process.execPath, [...RUNNER, ...extraArgs], {
			cwd: ROOT,
			env: { ...process.env, SERVICEDIR: "services", DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "warn", ...env },
			stdio: ["pipe", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", c => (stdout += c));
		child.stderr.on("data", c => (stderr += c));
		const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
		child.once("error", reject);
		child.once("exit", code => {
			clearTimeout(timer);
			fs.rmSync(dataDir, { recursive: true, force: true });
			resolve({ code, stdout, stderr });
		});
		if (input !== undefined) child.stdin.end(input);
	});
}

describe("process start", () => {
	it("stops a mode that cannot work with one line naming the variable to set", async () => {
		const result = await run({ TRANSPORTER: "nats://127.0.0.1:4222", DATABASE_URL: "", SERVICES: "api" });
		expect(result.code).to.equal(78);
		const lines = result.stderr.trim().split("\n");
		expect(lines).to.have.length(1);
		expect(lines[0]).to.match(/^Configuration error: DATABASE_URL: TRANSPORTER is set/);
	});

	it("rejects an unknown service name at start", async () => {
		const result = await run({ SERVICES: "api,payments" });
		expect(result.code).to.equal(78);
		expect(result.stderr).to.match(/SERVICES: unknown service\(s\) payments/);
	});

	it("opens a REPL in which an operator can call any action", async () => {
		// The REPL reads commands from stdin; `quit` stops the broker and the process.
		const script = ["call auth.health", "call documents.health", "quit"].join("\n") + "\n";
		const child = spawn(process.execPath, [...RUNNER, "--repl"], {
			cwd: ROOT,
			env: { ...process.env, SERVICEDIR: "services", DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "repl-")), PORT: "0", LOG_LEVEL: "warn", NO_COLOR: "1" },
			stdio: ["pipe", "pipe", "pipe"],
		});
		let stdout = "";
		child.stdout.on("data", c => (stdout += c));
		// Wait for the prompt before typing, as a person would.
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no REPL prompt:\n${stdout}`)), 15_000);
			child.stdout.on("data", () => {
				if (stdout.includes("mol $")) {
					clearTimeout(timer);
					resolve();
				}
			});
		});
		child.stdin.end(script);
		const code = await new Promise(resolve => child.once("exit", resolve));
		const plain = stdout.replace(/\x1b\[[0-9;]*m/g, "");
		expect(plain).to.match(/service: 'auth'[^}]*database: true/);
		expect(plain).to.match(/service: 'documents'[^}]*database: true/);
		expect(code).to.equal(0);
	});
});
