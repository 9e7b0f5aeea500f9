import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const sqlite3 = require("sqlite3") as typeof import("sqlite3");

/** How long a connection waits for another's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * sqlite3 as Sequelize should use it: Sequelize opens a separate connection for every transaction,
 * and a fresh connection fails at once with SQLITE_BUSY while another one writes. Every connection
 * made through this driver waits for the lock instead, so concurrent uploads queue rather than fail.
 */
class WaitingDatabase extends sqlite3.Database {
	constructor(filename: string, mode?: number, callback?: (err: Error | null) => void) {
		super(filename, mode ?? sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, callback);
		this.configure("busyTimeout", BUSY_TIMEOUT_MS);
		// Per connection; WAL itself is a property of the file and set once at start.
		this.exec("PRAGMA synchronous = NORMAL");
	}
}

export const sqliteDriver = { ...sqlite3, Database: WaitingDatabase };
