import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import { DataTypes, Sequelize, type Model } from "sequelize";
import { JobQueue, jobModelAttributes, stopQueuesMiddleware, type JobAttributes } from "../../shared/jobs/index.ts";

type Job = Model & JobAttributes & { id: string };

describe("job queues stop with their broker", function () {
	this.timeout(20_000);
	let dir: string;
	let sequelize: Sequelize;

	beforeEach(async () => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), "jobs-stop-"));
		sequelize = new Sequelize({ dialect: "sqlite", storage: path.join(dir, "jobs.sqlite"), logging: false, define: { underscored: true } });
	});

	afterEach(async () => {
		await sequelize.close();
		fs.rmSync(dir, { recursive: true, force: true });
	});

	it("stops claiming as soon as the broker starts stopping, while requests in flight still drain", async () => {
		const Job = sequelize.define<Job>("Job", { id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 }, ...jobModelAttributes() }, { tableName: "stop_jobs" });
		await Job.sync();
		let queue!: JobQueue<Job>;
		let release!: () => void;
		const broker = new ServiceBroker({ logger: false, nodeID: `stop-${process.pid}`, tracking: { enabled: true, shutdownTimeout: 5_000 }, middlewares: [stopQueuesMiddleware()] });
		broker.createService({
			name: "worker",
			actions: { slow: () => new Promise<void>(resolve => (release = resolve)) },
			started() {
				queue = new JobQueue<Job>({ name: "stop", model: Job, owner: broker.nodeID, concurrency: 1, handler: async () => {} });
				queue.start();
			},
			async stopped() {
				await queue.stop();
			},
		});
		await broker.start();
		const inFlight = broker.call("worker.slow");
		await new Promise(r => setTimeout(r, 50));
		const stopping = broker.stop();
		// Service `stopped` hooks wait for the request in flight; the queue must not.
		for (let i = 0; i < 100 && queue.claiming; i++) await new Promise(r => setTimeout(r, 20));
		expect(queue.claiming, "the queue stopped claiming while a request was still in flight").to.equal(false);
		release();
		await inFlight;
		await stopping;
	});
});
