import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import { loadConfig } from "../../shared/config.ts";
import { createBrokerOptions } from "../../shared/broker-options.ts";
import { leaseOwnerGone } from "../../shared/jobs/bus-presence.ts";

/** A broker as the platform builds it, without starting it: enough for the registry questions. */
function brokerFor(env: Record<string, string>): ServiceBroker {
	const config = loadConfig({ DATA_DIR: "/tmp/unused-data-dir", LOG_LEVEL: "fatal", NODE_ID: "this-node", ...env });
	return new ServiceBroker({ ...createBrokerOptions(config), logger: false });
}

describe("job lease owners without a message bus", () => {
	it("takes over a predecessor's jobs at once on SQLite, the only process that can use the file", async () => {
		const ownerGone = leaseOwnerGone(brokerFor({}));
		expect(await ownerGone("predecessor")).to.equal(true);
		expect(await ownerGone("this-node")).to.equal(false);
	});

	it("leaves another owner's jobs to their leases on PostgreSQL, which an instance of a zero-downtime deploy may share unseen", async () => {
		const ownerGone = leaseOwnerGone(brokerFor({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/unused" }));
		expect(await ownerGone("the-other-instance")).to.equal(false);
	});
});
