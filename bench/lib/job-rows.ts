import pg from "pg";
import type { Job } from "./workload.ts";

/**
 * Prints what the database says of jobs the API never showed ending, which tells a job that is
 * stuck (its row still queued or running) from an answer that is stale (the row has ended).
 */
export async function showJobRows(jobs: Job[], databaseUrl: string): Promise<void> {
	if (jobs.length === 0) return;
	const client = new pg.Client({ connectionString: databaseUrl });
	await client.connect();
	try {
		for (const job of jobs) {
			const table = job.type === "upload" ? "documents" : "analyses";
			const { rows } = await client.query(`SELECT status, attempts, lease_owner, lease_expires_at, run_after, last_error, updated_at FROM ${table} WHERE id = $1`, [job.id]);
			console.log(`  ${job.type} ${job.id}: the API last said ${job.lastSeen}; the database says ${JSON.stringify(rows[0] ?? "no row")}`);
		}
	} finally {
		await client.end();
	}
}
