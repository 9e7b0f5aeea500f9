import crypto from "node:crypto";
import pg from "pg";
import { TEST_POSTGRES_URL } from "./backing-services.ts";

export interface TestDatabase {
	url: string;
	drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL database for one suite, so suites never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
	const name = `t_${Date.now().toString(36)}_${crypto.randomBytes(3).toString("hex")}`;
	const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
	await admin.connect();
	try {
		await admin.query(`CREATE DATABASE ${name}`);
	} finally {
		await admin.end();
	}
	const url = new URL(TEST_POSTGRES_URL);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		async drop() {
			const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
			await client.connect();
			try {
				await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
			} finally {
				await client.end();
			}
		},
	};
}
