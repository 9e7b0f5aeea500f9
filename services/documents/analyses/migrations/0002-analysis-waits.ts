import type { Migration } from "../../../../shared/db/migrations.ts";
import { addJobWaitColumns, removeJobWaitColumns } from "../../../../shared/jobs/index.ts";

/** What a queued analysis waits for while a service it needs is unreachable, and since when. */
export const analysisWaits: Migration = {
	name: "0002-analysis-waits",
	async up({ context: queryInterface }) {
		await addJobWaitColumns(queryInterface, "analyses");
		// Fair claiming counts each user's queued and running analyses.
		await queryInterface.addIndex("analyses", ["status", "user_id"], { name: "analyses_by_status_user" });
	},
	async down({ context: queryInterface }) {
		await queryInterface.removeIndex("analyses", "analyses_by_status_user");
		await removeJobWaitColumns(queryInterface, "analyses");
	},
};
