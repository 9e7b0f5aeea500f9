import type { Migration } from "../../../shared/db/migrations.ts";
import { addJobWaitColumns, removeJobWaitColumns } from "../../../shared/jobs/index.ts";

/** What a queued study waits for while the llm service is unreachable, and since when. */
export const studyWaits: Migration = {
	name: "0002-study-waits",
	async up({ context: qi }) {
		await addJobWaitColumns(qi, "optimizer_studies");
		// Fair claiming and the per-user cap count each user's queued and running studies.
		await qi.addIndex("optimizer_studies", ["status", "user_id"], { name: "optimizer_studies_by_status_user" });
	},
	async down({ context: qi }) {
		await qi.removeIndex("optimizer_studies", "optimizer_studies_by_status_user");
		await removeJobWaitColumns(qi, "optimizer_studies");
	},
};
