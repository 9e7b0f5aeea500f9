import { expect } from "chai";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { QueryTypes, type Sequelize } from "sequelize";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { sleep } from "../helpers/child-processes.ts";

/**
 * Staged uploads that no live upload owns (cut off by a crash of this or another node) are swept
 * while the platform runs, not only when a node starts: every UPLOAD_IDLE_TIMEOUT_MS.
 */
for (const backend of BACKENDS) {
	describe(`upload staging sweep (${backend.name})`, function () {
		this.timeout(60_000);
		const platform = usePlatform(backend, { env: { UPLOAD_IDLE_TIMEOUT_MS: "1000" } });
		const sequelize = () => (platform.broker.getLocalService("documents") as unknown as { sequelize: Sequelize }).sequelize;
		const postgres = backend.requires.includes("postgres");

		/** Stages an upload as a node would have left it, `ageMs` ago; returns a check that it is still there. */
		async function leftBehind(ageMs: number): Promise<() => Promise<boolean>> {
			const at = new Date(Date.now() - ageMs);
			if (postgres) {
				const key = `staging:${crypto.randomUUID()}`;
				for (const seq of [0, 1]) {
					await sequelize().query("INSERT INTO document_blob_parts (blob_key, seq, data, created_at) VALUES ($1, $2, $3, $4)", { bind: [key, seq, Buffer.alloc(1024, seq), at] });
				}
				return async () => (await sequelize().query("SELECT 1 FROM document_blob_parts WHERE blob_key = $1", { bind: [key], type: QueryTypes.SELECT })).length > 0;
			}
			const dir = path.join(platform.dataDir, "blobs", ".staging");
			fs.mkdirSync(dir, { recursive: true });
			const file = path.join(dir, crypto.randomUUID());
			fs.writeFileSync(file, Buffer.alloc(1024));
			fs.utimesSync(file, at, at);
			return async () => fs.existsSync(file);
		}

		it("removes staged uploads left behind while it runs, and keeps those that may still be arriving", async () => {
			// Left by a node that died an hour ago; and one being written now, which a live upload may own
			// (stamped a minute ahead, so it stays recent however slow this machine is).
			const stale = await leftBehind(60 * 60_000);
			const recent = await leftBehind(-60_000);
			const deadline = Date.now() + 15_000;
			while ((await stale()) && Date.now() < deadline) await sleep(200);
			expect(await stale(), "the stale staging is swept without a restart").to.equal(false);
			expect(await recent(), "a staging a live upload may own is kept").to.equal(true);
		});
	});
}
