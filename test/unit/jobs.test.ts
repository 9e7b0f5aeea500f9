import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { DataTypes, Sequelize, type Model, type ModelStatic } from "sequelize";
import { runMigrations } from "../../shared/db/migrations.ts";
import { Errors } from "moleculer";
import {
	JobQueue,
	UnretryableJobError,
	JobAbortedError,
	JobWaitError,
	QueueFullError,
	jobModelAttributes,
	jobWaitModelAttributes,
	jobTableColumns,
	addJobIndexes,
	addJobWaitColumns,
	type JobAttributes,
	type JobHandler,
	type JobQueueOptions,
} from "../../shared/jobs/index.ts";
import { requireServices } from "../helpers/backing-services.ts";
import { createTestDatabase } from "../helpers/postgres.ts";

type Job = Model & JobAttributes & { id: string; name: string; output: string | null; userId: string | null };

/** One "node": its own connection to the shared database, as separate processes would have. */
interface Node {
	sequelize: Sequelize;
	Job: ModelStatic<Job>;
}

function openNode(url: string): Node {
	const sequelize = url.startsWith("sqlite:")
		? new Sequelize({ dialect: "sqlite", storage: url.slice("sqlite:".length), logging: false, define: { underscored: true }, retry: { max: 10, match: [/SQLITE_BUSY/] } })
		: new Sequelize(url, { logging: false, define: { underscored: true }, pool: { max: 4 } });
	const Job = sequelize.define<Job>(
		"Job",
		{ id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 }, name: DataTypes.STRING, output: DataTypes.TEXT, userId: DataTypes.STRING, ...jobModelAttributes(), ...jobWaitModelAttributes() },
		{ tableName: "test_jobs" }
	);
	return { sequelize, Job };
}

const migrations = [
	{
		name: "001-test-jobs",
		async up({ context: qi }: { context: import("sequelize").QueryInterface }) {
			await qi.createTable("test_jobs", {
				id: { type: DataTypes.UUID, primaryKey: true },
				name: { type: DataTypes.STRING },
				output: { type: DataTypes.TEXT },
				user_id: { type: DataTypes.STRING },
				...jobTableColumns(),
				created_at: { type: DataTypes.DATE, allowNull: false },
				updated_at: { type: DataTypes.DATE, allowNull: false },
			});
			await addJobIndexes(qi, "test_jobs");
			await addJobWaitColumns(qi, "test_jobs");
		},
	},
];

async function until<T>(what: string, read: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 20));
	}
}

const finished = (node: Node, id: string) =>
	until(`job ${id} to finish`, async () => {
		const job = await node.Job.findByPk(id);
		return job && ["succeeded", "failed", "cancelled"].includes(job.status) ? job : undefined;
	});

const VARIANTS = [
	{ name: "SQLite", requires: [] as ("postgres")[] },
	{ name: "PostgreSQL", requires: ["postgres"] as ("postgres")[] },
];

for (const variant of VARIANTS) {
	describe(`durable job queue (${variant.name})`, function () {
		let url: string;
		let cleanup = async () => {};
		const nodes: Node[] = [];
		const queues: JobQueue<Job>[] = [];

		function node(): Node {
			const opened = openNode(url);
			nodes.push(opened);
			return opened;
		}

		function queue(on: Node, handler: JobHandler<Job>, options: Partial<JobQueueOptions<Job>> = {}): JobQueue<Job> {
			const created = new JobQueue<Job>({
				name: "test",
				model: on.Job,
				owner: `node-${queues.length}`,
				concurrency: 4,
				leaseMs: 2_000,
				pollMinMs: 10,
				pollMaxMs: 50,
				retryDelayMs: () => 0,
				handler,
				...options,
			});
			queues.push(created);
			return created;
		}

		before(async function () {
			await requireServices(this, ...variant.requires);
			if (variant.requires.includes("postgres")) {
				const db = await createTestDatabase();
				url = db.url;
				cleanup = db.drop;
			} else {
				const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jobs-test-"));
				url = `sqlite:${path.join(dir, "jobs.sqlite")}`;
				cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
			}
			const first = node();
			if (first.sequelize.getDialect() === "sqlite") await first.sequelize.query("PRAGMA journal_mode = WAL");
			await runMigrations(first.sequelize, "jobs_test", migrations as never);
		});

		afterEach(async () => {
			await Promise.all(queues.splice(0).map(q => q.stop()));
			await nodes[0]?.Job.destroy({ where: {} });
		});

		after(async () => {
			for (const opened of nodes.splice(0)) await opened.sequelize.close();
			await cleanup();
		});

		it("runs a job once, storing the handler's values and progress with the success", async () => {
			const on = nodes[0];
			const q = queue(on, async (job, { progress, attempt }) => {
				expect(attempt).to.equal(1);
				await progress(1, 2);
				const stored = await on.Job.findByPk(job.id);
				expect(stored!.progress).to.deep.equal({ done: 1, total: 2 });
				return { output: `done ${job.name}`, progress: { done: 2, total: 2 } };
			});
			q.start();
			const job = await q.enqueue({ name: "a" });
			const done = await finished(on, job.id);
			expect(done.status).to.equal("succeeded");
			expect(done.output).to.equal("done a");
			expect(done.attempts).to.equal(1);
			expect(done.progress).to.deep.equal({ done: 2, total: 2 });
			expect(done.leaseOwner).to.equal(null);
			expect(done.finishedAt).to.be.instanceOf(Date);
		});

		it("retries a failing job, then fails it for good with the reason and the attempt count", async () => {
			const on = nodes[0];
			let calls = 0;
			const q = queue(on, async () => {
				calls++;
				throw new Error(`provider exploded (${calls})`);
			}, { maxAttempts: 3 });
			q.start();
			const job = await q.enqueue({ name: "doomed" });
			const done = await finished(on, job.id);
			expect(done.status).to.equal("failed");
			expect(calls).to.equal(3);
			expect(done.attempts).to.equal(3);
			expect(done.lastError).to.equal("provider exploded (3) (gave up after 3 attempts)");
		});

		it("fails at once, without retrying, on an UnretryableJobError", async () => {
			const on = nodes[0];
			let calls = 0;
			const q = queue(on, async () => {
				calls++;
				throw new UnretryableJobError("The document was deleted");
			});
			q.start();
			const job = await q.enqueue({ name: "gone" });
			const done = await finished(on, job.id);
			expect([done.status, done.lastError, calls]).to.deep.equal(["failed", "The document was deleted", 1]);
		});

		it("takes over a job whose worker died once its lease has run out", async () => {
			const on = nodes[0];
			const orphan = await on.Job.create({ name: "orphan", status: "running", attempts: 1, runAfter: new Date(), leaseOwner: "dead-node", leaseExpiresAt: new Date(Date.now() - 1) } as never);
			const q = queue(on, async (_job, { attempt }) => ({ output: `attempt ${attempt}` }));
			q.start();
			const done = await finished(on, orphan.id);
			expect([done.status, done.output, done.attempts]).to.deep.equal(["succeeded", "attempt 2", 2]);
		});

		it("leaves a live lease alone, and takes the job over once its node is reported gone", async () => {
			const on = nodes[0];
			const held = await on.Job.create({ name: "held", status: "running", attempts: 1, runAfter: new Date(), leaseOwner: "gone-node", leaseExpiresAt: new Date(Date.now() + 3_600_000) } as never);
			let ran = 0;
			const q = queue(on, async () => {
				ran++;
				return { output: "taken over" };
			});
			q.start();
			await new Promise(r => setTimeout(r, 200));
			expect(ran, "a job under a live lease must not run twice").to.equal(0);
			expect(await q.expireLeasesOf("gone-node")).to.equal(1);
			const done = await finished(on, held.id);
			expect([done.status, done.output]).to.deep.equal(["succeeded", "taken over"]);
		});

		it("fails a job whose worker died on its last allowed attempt, saying so", async () => {
			const on = nodes[0];
			const orphan = await on.Job.create({ name: "unlucky", status: "running", attempts: 3, runAfter: new Date(), leaseOwner: "dead-node", leaseExpiresAt: new Date(Date.now() - 1) } as never);
			const reported: string[] = [];
			let ran = 0;
			const q = queue(on, async () => void ran++, { maxAttempts: 3, onStatus: (_job, status) => reported.push(status) });
			q.start();
			const done = await finished(on, orphan.id);
			expect(done.status).to.equal("failed");
			expect(done.lastError).to.match(/stopped responding on attempt 3, the last one allowed/);
			// The report follows the write that the test polls for; wait for it rather than race it.
			await until("the failure to be reported", async () => reported.length > 0);
			expect(ran).to.equal(0);
			expect(reported).to.deep.equal(["failed"]);
		});

		it("cancels a running job: its handler is aborted and its late result is dropped", async () => {
			const on = nodes[0];
			let started!: () => void;
			const running = new Promise<void>(r => (started = r));
			let abortReason: unknown;
			const q = queue(on, async (_job, { signal }) => {
				started();
				await new Promise(r => signal.addEventListener("abort", r));
				abortReason = signal.reason;
				return { output: "should not be stored" };
			});
			q.start();
			const job = await q.enqueue({ name: "cancel me" });
			await running;
			expect(await q.cancel(job.id)).to.equal(true);
			await until("the handler to settle", async () => q.runningCount === 0);
			const stored = await on.Job.findByPk(job.id);
			expect([stored!.status, stored!.output]).to.deep.equal(["cancelled", null]);
			expect((abortReason as JobAbortedError).reason).to.equal("cancelled");
			expect(await q.cancel(job.id), "a finished job cannot be cancelled again").to.equal(false);
		});

		it("notices a cancellation made by another node at its next lease renewal", async () => {
			const worker = nodes[0];
			const other = node();
			let abortReason: unknown;
			const q = queue(worker, async (_job, { signal }) => {
				await new Promise(r => signal.addEventListener("abort", r));
				abortReason = signal.reason;
			}, { leaseMs: 300 });
			const remote = queue(other, async () => {}, { owner: "remote" });
			q.start();
			const job = await q.enqueue({ name: "remote cancel" });
			await until("the job to run", async () => (await worker.Job.findByPk(job.id))?.status === "running");
			expect(await remote.cancel(job.id)).to.equal(true);
			await until("the handler to be aborted", async () => abortReason !== undefined);
			expect((abortReason as JobAbortedError).reason).to.equal("cancelled");
		});

		it("aborts a handler whose lease was taken over, and keeps the new owner's state", async () => {
			const on = nodes[0];
			let abortReason: unknown;
			const q = queue(on, async (_job, { signal }) => {
				await new Promise(r => signal.addEventListener("abort", r));
				abortReason = signal.reason;
				return { output: "stale" };
			}, { leaseMs: 300 });
			q.start();
			const job = await q.enqueue({ name: "stolen" });
			await until("the job to run", async () => (await on.Job.findByPk(job.id))?.status === "running");
			await on.Job.update({ leaseOwner: "usurper" } as never, { where: { id: job.id } });
			await until("the handler to be aborted", async () => abortReason !== undefined);
			await until("the handler to settle", async () => q.runningCount === 0);
			expect((abortReason as JobAbortedError).reason).to.equal("lease-lost");
			const stored = await on.Job.findByPk(job.id);
			expect([stored!.status, stored!.leaseOwner, stored!.output]).to.deep.equal(["running", "usurper", null]);
		});

		it("hands running jobs back on stop, without counting the attempt, for another node to finish", async () => {
			const on = nodes[0];
			let started!: () => void;
			const running = new Promise<void>(r => (started = r));
			const first = queue(on, async (_job, { signal }) => {
				started();
				await new Promise(r => signal.addEventListener("abort", r));
				signal.throwIfAborted();
			});
			first.start();
			const job = await first.enqueue({ name: "handed back" });
			await running;
			await first.stop();
			const stored = await on.Job.findByPk(job.id);
			expect([stored!.status, stored!.attempts, stored!.leaseOwner]).to.deep.equal(["queued", 0, null]);

			const second = queue(node(), async (_job, { attempt }) => ({ output: `finished on attempt ${attempt}` }));
			second.start();
			const done = await finished(on, job.id);
			expect([done.status, done.output]).to.deep.equal(["succeeded", "finished on attempt 1"]);
		});

		it("hands back even a handler that ignores the abort, once the stop timeout passes", async () => {
			const on = nodes[0];
			let release!: () => void;
			const stuck = new Promise<void>(r => (release = r));
			let started!: () => void;
			const running = new Promise<void>(r => (started = r));
			const q = queue(on, async () => {
				started();
				await stuck;
				return { output: "too late" };
			}, { stopTimeoutMs: 100 });
			q.start();
			const job = await q.enqueue({ name: "stubborn" });
			await running;
			await q.stop();
			release();
			await until("the handler to settle", async () => q.runningCount === 0);
			const stored = await on.Job.findByPk(job.id);
			expect([stored!.status, stored!.output, stored!.leaseOwner]).to.deep.equal(["queued", null, null]);
		});

		it("never runs more jobs at once than its concurrency", async () => {
			const on = nodes[0];
			let now = 0;
			let peak = 0;
			const q = queue(on, async () => {
				peak = Math.max(peak, ++now);
				await new Promise(r => setTimeout(r, 30));
				now--;
			}, { concurrency: 2 });
			q.start();
			const jobs = await Promise.all(Array.from({ length: 8 }, (_, i) => q.enqueue({ name: `bounded ${i}` })));
			for (const job of jobs) await finished(on, job.id);
			expect(peak).to.equal(2);
		});

		it("shares one table between several nodes without running any job twice", async () => {
			const runs = new Map<string, string[]>();
			const workers = [nodes[0], node(), node()];
			const seeded = await nodes[0].Job.bulkCreate(Array.from({ length: 40 }, (_, i) => ({ name: `shared ${i}`, status: "queued", attempts: 0, runAfter: new Date() })) as never);
			for (const [index, on] of workers.entries()) {
				const owner = `worker-${index}`;
				queue(on, async job => {
					runs.set(job.id, [...(runs.get(job.id) ?? []), owner]);
					await new Promise(r => setTimeout(r, 5));
					return { output: owner };
				}, { owner }).start();
			}
			for (const job of seeded) await finished(nodes[0], job.id);
			const stored = await nodes[0].Job.findAll();
			expect(stored.every(job => job.status === "succeeded" && job.attempts === 1)).to.equal(true);
			expect([...runs.values()].filter(owners => owners.length !== 1)).to.deep.equal([]);
			expect(runs.size).to.equal(40);
			expect(new Set(stored.map(job => job.output)).size, "the work was spread over the nodes").to.be.greaterThan(1);
		});

		it("picks up a job at once when nudged, however long its idle back-off", async () => {
			const on = nodes[0];
			const q = queue(on, async () => ({ output: "nudged" }), { pollMinMs: 600_000, pollMaxMs: 600_000 });
			q.start();
			await new Promise(r => setTimeout(r, 50));
			// Stored behind the queue's back, as another node would: only the nudge can wake it.
			const job = await on.Job.create({ name: "nudge", status: "queued", attempts: 0, runAfter: new Date() } as never);
			q.nudge();
			const done = await finished(on, job.id);
			expect(done.output).to.equal("nudged");
		});

		it("shares the workers round-robin between users: one user's backlog does not hold up another's job", async () => {
			const on = nodes[0];
			const order: string[] = [];
			const q = queue(on, async job => {
				order.push(job.userId!);
				await new Promise(r => setTimeout(r, 20));
			}, { concurrency: 2, fairBy: "userId" });
			// The flood is older: first-in first-out would run all twenty before the bystander's job.
			const flood = await on.Job.bulkCreate(Array.from({ length: 20 }, (_, i) => ({ name: `flood ${i}`, userId: "flooder", status: "queued", attempts: 0, runAfter: new Date(Date.now() - 60_000 + i) })) as never);
			const bystander = await on.Job.create({ name: "bystander", userId: "bystander", status: "queued", attempts: 0, runAfter: new Date() } as never);
			q.start();
			await finished(on, bystander.id);
			for (const job of flood) await finished(on, job.id);
			expect(order.indexOf("bystander"), `order: ${order.join(",")}`).to.be.lessThan(3);
		});

		it("keeps one user's jobs beyond the running cap queued, across every node", async () => {
			let now = 0;
			let peak = 0;
			const handler: JobHandler<Job> = async () => {
				peak = Math.max(peak, ++now);
				await new Promise(r => setTimeout(r, 30));
				now--;
			};
			const seeded = await nodes[0].Job.bulkCreate(Array.from({ length: 12 }, (_, i) => ({ name: `capped ${i}`, userId: "busy", status: "queued", attempts: 0, runAfter: new Date() })) as never);
			// SQLite has one process, so one node; PostgreSQL shares the cap between two.
			const workers = variant.requires.includes("postgres") ? [nodes[0], node()] : [nodes[0]];
			for (const [index, on] of workers.entries()) queue(on, handler, { owner: `capped-${index}`, concurrency: 4, fairBy: "userId", runningPerKey: 2 }).start();
			for (const job of seeded) await finished(nodes[0], job.id);
			expect(peak).to.equal(2);
		});

		it("hands a job waiting for an unreachable service back without counting the attempt, saying what it waits for", async () => {
			const on = nodes[0];
			let calls = 0;
			let waitingFor: unknown;
			const q = queue(on, async job => {
				calls++;
				if (calls === 2) waitingFor = (await on.Job.findByPk(job.id))!.waitingFor;
				if (calls < 3) throw new Errors.ServiceNotAvailableError({ action: "llm.complete", nodeID: "llm-1" });
				return { output: "done after the outage" };
			}, { maxAttempts: 1 });
			q.start();
			const job = await q.enqueue({ name: "patient" });
			const done = await finished(on, job.id);
			expect([done.status, done.output, done.attempts, calls]).to.deep.equal(["succeeded", "done after the outage", 1, 3]);
			expect(waitingFor).to.equal("llm.complete is not reachable");
			expect([done.waitingFor, done.waitingSince]).to.deep.equal([null, null]);
		});

		it("fails a job that waited out its whole outage window, saying what it waited for", async () => {
			const on = nodes[0];
			const q = queue(on, async () => {
				throw new JobWaitError("the message bus");
			}, { outageWindowMs: 100 });
			q.start();
			const job = await q.enqueue({ name: "abandoned" });
			const done = await finished(on, job.id);
			expect(done.status).to.equal("failed");
			expect(done.lastError).to.match(/^Gave up after waiting \d+ s for the message bus/);
			expect(done.attempts, "waits are not attempts").to.equal(0);
		});

		it("claims nothing while something the jobs need is missing, and resumes when it is back", async () => {
			const on = nodes[0];
			let missing: string | null = "the message bus";
			const q = queue(on, async () => ({ output: "ran" }), { waitsFor: () => missing });
			q.start();
			const job = await q.enqueue({ name: "paused" });
			await new Promise(r => setTimeout(r, 300));
			expect((await on.Job.findByPk(job.id))!.status).to.equal("queued");
			missing = null;
			const done = await finished(on, job.id);
			expect([done.status, done.attempts]).to.deep.equal(["succeeded", 1]);
		});

		it("releases at once the live leases of nodes that left the bus, and leaves live nodes' alone", async () => {
			const on = nodes[0];
			const future = new Date(Date.now() + 3_600_000);
			const orphan = await on.Job.create({ name: "orphan", status: "running", attempts: 1, runAfter: new Date(), leaseOwner: "predecessor", leaseExpiresAt: future } as never);
			const held = await on.Job.create({ name: "held", status: "running", attempts: 1, runAfter: new Date(), leaseOwner: "alive", leaseExpiresAt: future } as never);
			const asked: string[] = [];
			const q = queue(on, async () => ({ output: "taken over" }), {
				ownerGone: async owner => {
					asked.push(owner);
					return owner === "predecessor";
				},
			});
			q.start();
			const done = await finished(on, orphan.id);
			expect([done.status, done.output]).to.deep.equal(["succeeded", "taken over"]);
			expect((await on.Job.findByPk(held.id))!.leaseOwner).to.equal("alive");
			expect(asked.sort()).to.deep.equal(["alive", "predecessor"]);
		});

		it("stopAll stops claiming at once and hands the running jobs of that node back", async () => {
			const on = nodes[0];
			let started!: () => void;
			const running = new Promise<void>(r => (started = r));
			const q = queue(on, async (_job, { signal }) => {
				started();
				await new Promise(r => signal.addEventListener("abort", r));
				signal.throwIfAborted();
			}, { owner: "stopping-node" });
			q.start();
			const job = await q.enqueue({ name: "in flight" });
			await running;
			await JobQueue.stopAll("stopping-node");
			expect(q.claiming).to.equal(false);
			const later = await on.Job.create({ name: "after stop", status: "queued", attempts: 0, runAfter: new Date() } as never);
			q.nudge();
			await new Promise(r => setTimeout(r, 200));
			const [handedBack, untouched] = await Promise.all([on.Job.findByPk(job.id), on.Job.findByPk(later.id)]);
			expect([handedBack!.status, handedBack!.leaseOwner, handedBack!.attempts]).to.deep.equal(["queued", null, 0]);
			expect(untouched!.status).to.equal("queued");
		});

		// Several processes on one database: PostgreSQL only. On SQLite the platform's own transactions take
		// turns in-process, which test/integration/job-caps.test.ts covers through the services.
		if (variant.requires.includes("postgres")) it("admits jobs under a per-user cap atomically: parallel enqueues from several nodes cannot all pass one count", async function () {
			const queues = [queue(nodes[0], async () => {}), queue(node(), async () => {}), queue(node(), async () => {})];
			const outcomes = await Promise.allSettled(
				Array.from({ length: 20 }, (_, i) => queues[i % 3].enqueue({ name: `capped ${i}`, userId: "eager" }, { key: { attribute: "userId", value: "eager" }, perKey: 5, total: 100 }))
			);
			const refused = outcomes.filter(o => o.status === "rejected").map(o => (o as PromiseRejectedResult).reason);
			expect(outcomes.filter(o => o.status === "fulfilled")).to.have.length(5);
			expect(refused.every(err => err instanceof QueueFullError && err.scope === "key")).to.equal(true);
			expect(await nodes[0].Job.count({ where: { userId: "eager" } })).to.equal(5);
		});

		it("reports its depth after each claim: jobs left queued (all nodes) and jobs running here", async () => {
			const on = nodes[0];
			const depths: [number, number][] = [];
			await on.Job.bulkCreate(Array.from({ length: 3 }, (_, i) => ({ name: `deep ${i}`, userId: "u", status: "queued", attempts: 0, runAfter: new Date() })) as never);
			let release!: () => void;
			const gate = new Promise<void>(r => (release = r));
			const q = queue(on, async () => gate, { concurrency: 1, fairBy: "userId", onDepth: (queued, running) => depths.push([queued, running]) });
			q.start();
			await until("a first depth", async () => depths.length > 0);
			expect(depths[0]).to.deep.equal([2, 1]);
			release();
			await until("the queue to drain", async () => depths.some(([queued, running]) => queued === 0 && running === 1));
		});

		it("releases a disconnected node's jobs only once it is confirmed gone", async () => {
			const on = nodes[0];
			const future = new Date(Date.now() + 3_600_000);
			const blip = await on.Job.create({ name: "blip", status: "running", attempts: 1, runAfter: new Date(), leaseOwner: "still-there", leaseExpiresAt: future } as never);
			const dead = await on.Job.create({ name: "dead", status: "running", attempts: 1, runAfter: new Date(), leaseOwner: "really-gone", leaseExpiresAt: future } as never);
			const q = queue(on, async () => ({ output: "taken over" }), { ownerGone: async owner => owner === "really-gone" });
			expect(await q.releaseIfGone("still-there")).to.equal(0);
			expect(await q.releaseIfGone("really-gone")).to.equal(1);
			expect((await on.Job.findByPk(blip.id))!.leaseExpiresAt!.getTime()).to.equal(future.getTime());
			expect((await on.Job.findByPk(dead.id))!.leaseExpiresAt!.getTime()).to.be.below(Date.now());
		});
	});
}
