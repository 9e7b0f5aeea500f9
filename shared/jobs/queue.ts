import { Op, col, type Model, type ModelStatic, type WhereOptions } from "sequelize";
import { claimJobs } from "./claim.ts";
import { ACTIVE_JOB_STATUSES, type JobAttributes, type JobStatus } from "./columns.ts";
import { JobAbortedError, UnretryableJobError, type JobAbortReason } from "./errors.ts";
import { admitJob, type AdmissionLimits } from "./admission.ts";
import { outageOf } from "./outage.ts";

export interface JobContext {
	/** Aborted when the job is cancelled, its lease is lost, or the queue stops; `reason` is a JobAbortedError. */
	signal: AbortSignal;
	/** 1 on the first run, 2 on the first retry, ... */
	attempt: number;
	/** Stores the job's progress (and renews its lease). */
	progress(done: number, total: number): Promise<void>;
}

/** Does the work; the attributes it returns are saved in the same write that marks the job succeeded. */
export type JobHandler<TJob> = (job: TJob, context: JobContext) => Promise<Record<string, unknown> | void>;

export interface JobQueueLogger {
	debug(...args: unknown[]): void;
	info(...args: unknown[]): void;
	warn(...args: unknown[]): void;
	error(...args: unknown[]): void;
}

export interface JobQueueOptions<TJob extends Model> {
	/** For log lines. */
	name: string;
	/** The caller's own table, with the standard job columns (see columns.ts) and an `id` key. */
	model: ModelStatic<TJob>;
	/** Who holds the leases this queue takes: the broker's nodeID, unique per process. */
	owner: string;
	handler: JobHandler<TJob>;
	/** Jobs this node runs at once (see jobConcurrency()). */
	concurrency: number;
	/** A running job not renewed for this long is taken over by another worker. Default 30 s. */
	leaseMs?: number;
	/** Runs a job gets before it fails for good. Default 3. */
	maxAttempts?: number;
	/** Idle polling backs off from pollMinMs to pollMaxMs; nudge() polls at once. Defaults 250 ms, 5 s. */
	pollMinMs?: number;
	pollMaxMs?: number;
	/** Wait before retry number `attempt` (1-based). Default 1 s, 4 s, 16 s, ... up to 60 s. */
	retryDelayMs?: (attempt: number) => number;
	/** How long stop() lets aborted handlers wind down before it hands their jobs back anyway. Default 2 s. */
	stopTimeoutMs?: number;
	/**
	 * Fairness between users: the job attribute naming whose job it is (`userId`). Queued jobs are
	 * then claimed round-robin across its values rather than oldest first.
	 */
	fairBy?: string;
	/** With fairBy: jobs of one user running at once across all nodes (the soft cap); the rest wait queued. */
	runningPerKey?: number;
	/**
	 * What the handler needs that is missing right now ("the message bus", "llm.complete is not
	 * reachable"), or null: while it says something, this node claims nothing.
	 */
	waitsFor?: () => string | null;
	/**
	 * How long a job may keep waiting out an outage (see JobWaitError / outageOf) before it fails
	 * for that reason. Waits do not count as attempts. Default 10 minutes.
	 */
	outageWindowMs?: number;
	/**
	 * Whether the node holding a lease is gone for good (not on the bus any more): its running jobs
	 * are then released at once rather than when their leases run out. Unset: leases run out.
	 */
	ownerGone?: (owner: string) => Promise<boolean>;
	/** After every claim: the queued jobs due now (all nodes) and the jobs running here, for a metric. */
	onDepth?: (queued: number, running: number) => void;
	logger?: JobQueueLogger;
	/** Every status change this queue makes (a claim, a retry, a hand-back, the final state), after it is stored. */
	onStatus?: (job: TJob, status: JobStatus) => void;
}

type JobRow = Model & JobAttributes & { id: string | number };

type OptionalHooks = "onStatus" | "fairBy" | "runningPerKey" | "waitsFor" | "ownerGone" | "onDepth";

/** How often the leases of other nodes are checked for owners that left the bus. */
const OWNER_CHECK_MS = 10_000;
/** While claiming is paused for a missing dependency, look again this often. */
const PAUSED_POLL_MS = 1_000;

/** Wait before the next try of a job waiting out an outage: a quarter of the wait so far, 1 to 15 s, with jitter so jobs do not return all at once. */
function outageDelay(waitedMs: number): number {
	return Math.round(Math.min(15_000, Math.max(1_000, waitedMs / 4)) * (0.75 + Math.random() * 0.5));
}

interface RunningJob {
	controller: AbortController;
	settled: Promise<void>;
}

const SILENT: JobQueueLogger = { debug() {}, info() {}, warn() {}, error() {} };

function defaultRetryDelay(attempt: number): number {
	return Math.min(60_000, 1_000 * 4 ** (attempt - 1));
}

function reasonOf(err: unknown): string {
	const message = err instanceof Error ? err.message : String(err);
	return message.trim().slice(0, 2_000) || "The job failed without a message";
}

/** A durable job queue over the caller's own table. See index.ts for the whole story. */
export class JobQueue<TJob extends Model> {
	readonly #options: Required<Omit<JobQueueOptions<TJob>, OptionalHooks>> & Pick<JobQueueOptions<TJob>, OptionalHooks>;
	readonly #running = new Map<string | number, RunningJob>();
	#timer: NodeJS.Timeout | undefined;
	#idleDelay: number;
	#polling: Promise<void> | undefined;
	#pollAgain = false;
	#started = false;
	/** Wake-ups for retries this node scheduled, so they start when due rather than at the next idle poll. */
	readonly #retryTimers = new Set<NodeJS.Timeout>();
	#ownersCheckedAt = 0;
	/** Every started queue of this process, for stopAll() (a broker's `stopping` hook). */
	static readonly #live = new Set<JobQueue<Model>>();

	/**
	 * Stops every started queue owned by `owner` (a broker's nodeID) at once: for the broker's
	 * `stopping` hook, so queues stop claiming and hand their jobs back before services wind down.
	 */
	static async stopAll(owner: string): Promise<void> {
		await Promise.all([...JobQueue.#live].filter(queue => queue.#options.owner === owner).map(queue => queue.stop()));
	}

	constructor(options: JobQueueOptions<TJob>) {
		this.#options = {
			leaseMs: 30_000,
			maxAttempts: 3,
			pollMinMs: 250,
			pollMaxMs: 5_000,
			retryDelayMs: defaultRetryDelay,
			stopTimeoutMs: 2_000,
			outageWindowMs: 10 * 60_000,
			logger: SILENT,
			...options,
		};
		this.#idleDelay = this.#options.pollMinMs;
	}

	/** Jobs running on this node now. */
	get runningCount(): number {
		return this.#running.size;
	}

	start(): void {
		this.#started = true;
		JobQueue.#live.add(this as unknown as JobQueue<Model>);
		this.nudge();
	}

	/** Whether the queue is claiming (started and not stopping). */
	get claiming(): boolean {
		return this.#started;
	}

	/** Look for work now instead of at the next poll: call it when an event says a job was queued. */
	nudge(): void {
		if (!this.#started) return;
		this.#idleDelay = this.#options.pollMinMs;
		if (this.#polling) {
			this.#pollAgain = true;
			return;
		}
		this.#schedule(0);
	}

	/**
	 * Stores a new queued job and looks for work at once. With `limits`, the job is stored only while
	 * the counts allow (checked and written atomically, across nodes); else QueueFullError.
	 */
	async enqueue(values: Record<string, unknown>, limits?: AdmissionLimits): Promise<TJob> {
		const row = { ...values, status: "queued", attempts: 0, runAfter: new Date() };
		const model = this.#options.model;
		const job = limits
			? await admitJob(model, limits, transaction => model.create(row as never, { transaction }))
			: await model.create(row as never);
		this.nudge();
		return job;
	}

	/**
	 * Cancels a queued or running job (`where` narrows it further, e.g. to its owner). A job running
	 * here is aborted at once; one running elsewhere notices at its next lease renewal.
	 */
	async cancel(id: string | number, where: WhereOptions = {}): Promise<boolean> {
		const [changed] = await this.#options.model.update(
			{ status: "cancelled", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null } as never,
			{ where: { [Op.and]: [where, { id, status: ACTIVE_JOB_STATUSES }] } as WhereOptions }
		);
		this.#running.get(id)?.controller.abort(new JobAbortedError("cancelled"));
		return changed > 0;
	}

	/**
	 * Lets other workers take over at once the jobs of a node known to be gone (the broker's
	 * `$node.disconnected`), instead of waiting for their leases to run out.
	 */
	async expireLeasesOf(owner: string): Promise<number> {
		if (owner === this.#options.owner) return 0;
		const [changed] = await this.#options.model.update({ leaseExpiresAt: new Date(0) } as never, {
			where: { leaseOwner: owner, status: "running" } as WhereOptions,
		});
		if (changed > 0) {
			this.#options.logger.info(`${this.#options.name}: ${changed} job(s) of departed node ${owner} released`);
			this.nudge();
		}
		return changed;
	}

	/**
	 * Stops claiming, aborts the running handlers and hands their jobs back to the queue (their
	 * attempt not counted), so another worker, or this one after a restart, runs them.
	 */
	async stop(): Promise<void> {
		this.#started = false;
		JobQueue.#live.delete(this as unknown as JobQueue<Model>);
		clearTimeout(this.#timer);
		for (const timer of this.#retryTimers) clearTimeout(timer);
		this.#retryTimers.clear();
		await this.#polling;
		const running = [...this.#running.entries()];
		for (const [, job] of running) job.controller.abort(new JobAbortedError("stopping"));
		let timeout: NodeJS.Timeout | undefined;
		await Promise.race([
			Promise.allSettled(running.map(([, job]) => job.settled)),
			new Promise(resolve => (timeout = setTimeout(resolve, this.#options.stopTimeoutMs))),
		]);
		clearTimeout(timeout);
		// Handlers that ignored the signal: their jobs go back anyway; their late writes will not match.
		const stuck = running.filter(([id]) => this.#running.has(id)).map(([id]) => id);
		if (stuck.length > 0) await this.#handBack(stuck);
	}

	#schedule(delay: number): void {
		clearTimeout(this.#timer);
		if (!this.#started) return;
		this.#timer = setTimeout(() => {
			this.#polling = this.#poll().finally(() => {
				this.#polling = undefined;
				const again = this.#pollAgain;
				this.#pollAgain = false;
				this.#schedule(again ? 0 : this.#idleDelay);
			});
		}, delay);
		// The queue alone never keeps a process alive.
		this.#timer.unref();
	}

	async #poll(): Promise<void> {
		const free = this.#options.concurrency - this.#running.size;
		if (free <= 0) return;
		const missing = this.#options.waitsFor?.() ?? null;
		if (missing) {
			// Claiming now would only start jobs that fail at their first step and churn the table.
			this.#options.logger.debug(`${this.#options.name}: not claiming while waiting for ${missing}`);
			this.#idleDelay = Math.min(PAUSED_POLL_MS, this.#options.pollMaxMs);
			return;
		}
		try {
			await this.#releaseDepartedOwners();
			const { claimed, exhausted, queued } = await claimJobs(this.#options.model, {
				owner: this.#options.owner,
				limit: free,
				leaseMs: this.#options.leaseMs,
				maxAttempts: this.#options.maxAttempts,
				fairBy: this.#options.fairBy,
				runningPerKey: this.#options.runningPerKey,
			});
			this.#options.onDepth?.(queued, this.#running.size + claimed.length);
			for (const job of exhausted) this.#options.onStatus?.(job, "failed");
			if (!this.#started) {
				// stop() began while claiming: these were never started, so they go straight back.
				await this.#handBack(claimed.map(job => (job as unknown as JobRow).id));
				return;
			}
			for (const job of claimed) this.#run(job);
			this.#idleDelay = claimed.length > 0 ? this.#options.pollMinMs : Math.min(this.#idleDelay * 2, this.#options.pollMaxMs);
		} catch (err) {
			this.#options.logger.warn(`${this.#options.name}: claiming jobs failed, retrying: ${reasonOf(err)}`);
			this.#idleDelay = Math.min(this.#idleDelay * 2, this.#options.pollMaxMs);
		}
	}

	/**
	 * Live leases held by nodes that have left the bus (a predecessor of this node, restarted under a
	 * new id, or a node that died while this one was away) are released now, not when they run out.
	 */
	async #releaseDepartedOwners(): Promise<void> {
		const ownerGone = this.#options.ownerGone;
		if (!ownerGone || Date.now() - this.#ownersCheckedAt < OWNER_CHECK_MS) return;
		this.#ownersCheckedAt = Date.now();
		const held = (await this.#options.model.findAll({
			attributes: ["leaseOwner"],
			where: { status: "running", leaseOwner: { [Op.ne]: this.#options.owner }, leaseExpiresAt: { [Op.gte]: new Date() } } as WhereOptions,
			group: [col("lease_owner")],
			raw: true,
		})) as unknown as { leaseOwner: string | null }[];
		const owners = held.map(row => row.leaseOwner).filter((owner): owner is string => typeof owner === "string");
		await Promise.all(
			owners.map(async owner => {
				if (await ownerGone(owner)) await this.expireLeasesOf(owner);
			})
		);
	}

	#run(job: TJob): void {
		const row = job as unknown as JobRow;
		const controller = new AbortController();
		const renewEvery = Math.max(50, Math.floor(this.#options.leaseMs / 3));
		const heartbeat = setInterval(() => void this.#renew(row.id, controller), renewEvery);
		heartbeat.unref();
		this.#options.onStatus?.(job, "running");
		const context: JobContext = {
			signal: controller.signal,
			attempt: row.attempts,
			progress: (done, total) => this.#renew(row.id, controller, { progress: { done, total } }),
		};
		const settled = (async () => {
			try {
				const values = await this.#options.handler(job, context);
				controller.signal.throwIfAborted();
				await this.#settle(job, { ...values, status: "succeeded", finishedAt: new Date(), lastError: null, waitingFor: null, waitingSince: null });
			} catch (err) {
				if (controller.signal.aborted) {
					const reason = (controller.signal.reason as JobAbortedError).reason as JobAbortReason;
					if (reason === "stopping") await this.#handBack([row.id]);
				} else {
					const waitingFor = outageOf(err);
					await (waitingFor ? this.#waitOut(job, waitingFor, err) : this.#fail(job, err));
				}
			} finally {
				clearInterval(heartbeat);
				this.#running.delete(row.id);
				this.nudge();
			}
		})();
		this.#running.set(row.id, { controller, settled });
	}

	/** Renews the lease (and stores progress); aborts the handler when the job is no longer this node's. */
	async #renew(id: string | number, controller: AbortController, values: Record<string, unknown> = {}): Promise<void> {
		if (controller.signal.aborted) return;
		try {
			const [changed] = await this.#options.model.update(
				{ ...values, leaseExpiresAt: new Date(Date.now() + this.#options.leaseMs) } as never,
				{ where: { id, leaseOwner: this.#options.owner, status: "running" } as WhereOptions }
			);
			if (changed > 0) return;
			const current = (await this.#options.model.findByPk(id, { attributes: ["status"] })) as unknown as JobRow | null;
			controller.abort(new JobAbortedError(current?.status === "cancelled" ? "cancelled" : "lease-lost"));
		} catch (err) {
			// A database hiccup: the lease has slack for a few missed renewals.
			this.#options.logger.warn(`${this.#options.name}: renewing the lease of job ${id} failed: ${reasonOf(err)}`);
		}
	}

	#fail(job: TJob, err: unknown): Promise<void> {
		const row = job as unknown as JobRow;
		const reason = reasonOf(err);
		if (err instanceof UnretryableJobError || row.attempts >= this.#options.maxAttempts) {
			const lastError = err instanceof UnretryableJobError || this.#options.maxAttempts === 1 ? reason : `${reason} (gave up after ${row.attempts} attempts)`;
			return this.#settle(job, { status: "failed", finishedAt: new Date(), lastError, waitingFor: null, waitingSince: null });
		}
		this.#options.logger.info(`${this.#options.name}: job ${row.id} attempt ${row.attempts} failed, will retry: ${reason}`);
		const delay = this.#options.retryDelayMs(row.attempts);
		this.#wakeIn(delay);
		return this.#settle(job, { status: "queued", runAfter: new Date(Date.now() + delay), lastError: reason, waitingFor: null, waitingSince: null });
	}

	/**
	 * A step failed because something the job needs is unreachable: nothing about the job is wrong,
	 * so it goes back to the queue with a back-off and the attempt is not counted, until it has
	 * waited `outageWindowMs` in all; then it fails saying what it waited for.
	 */
	#waitOut(job: TJob, waitingFor: string, err: unknown): Promise<void> {
		const row = job as unknown as JobRow;
		const since = row.waitingSince ?? new Date();
		const waited = Date.now() - since.getTime();
		if (waited >= this.#options.outageWindowMs) {
			const minutes = Math.round(waited / 60_000);
			const lastError = `Gave up after waiting ${minutes >= 1 ? `${minutes} min` : `${Math.round(waited / 1000)} s`} for ${waitingFor}: ${reasonOf(err)}`;
			const attempts = this.#options.model.sequelize!.literal("attempts - 1");
			return this.#settle(job, { status: "failed", attempts, finishedAt: new Date(), lastError, waitingFor: null, waitingSince: null });
		}
		const delay = outageDelay(waited);
		this.#options.logger.info(`${this.#options.name}: job ${row.id} waits for ${waitingFor}; trying again in ${delay} ms`);
		this.#wakeIn(delay);
		return this.#settle(job, {
			status: "queued",
			attempts: this.#options.model.sequelize!.literal("attempts - 1"),
			runAfter: new Date(Date.now() + delay),
			lastError: reasonOf(err),
			waitingFor,
			waitingSince: since,
		});
	}

	/** This node wakes up when a retry it scheduled is due, rather than at its next idle poll. */
	#wakeIn(delay: number): void {
		const wake = setTimeout(() => {
			this.#retryTimers.delete(wake);
			this.nudge();
		}, delay);
		wake.unref();
		this.#retryTimers.add(wake);
	}

	/** The job's next state, written only while this node still holds it. */
	async #settle(job: TJob, values: Record<string, unknown> & { status: JobStatus }): Promise<void> {
		const row = job as unknown as JobRow;
		const attributes = this.#options.model.getAttributes() as Record<string, unknown>;
		// Tables made before the wait columns existed simply do not record the wait.
		if (!("waitingFor" in attributes)) {
			delete values.waitingFor;
			delete values.waitingSince;
		}
		try {
			const [changed] = await this.#options.model.update({ ...values, leaseOwner: null, leaseExpiresAt: null } as never, {
				where: { id: row.id, leaseOwner: this.#options.owner, status: "running" } as WhereOptions,
			});
			if (changed > 0) this.#options.onStatus?.(job, values.status);
			else this.#options.logger.debug(`${this.#options.name}: job ${row.id} was cancelled or taken over; its outcome is dropped`);
		} catch (err) {
			// The lease runs out and another worker redoes the job: slower, never lost.
			this.#options.logger.error(`${this.#options.name}: storing the outcome of job ${row.id} failed: ${reasonOf(err)}`);
		}
	}

	async #handBack(ids: (string | number)[]): Promise<void> {
		if (ids.length === 0) return;
		try {
			const [changed] = await this.#options.model.update(
				{
					status: "queued",
					attempts: this.#options.model.sequelize!.literal("attempts - 1"),
					runAfter: new Date(),
					leaseOwner: null,
					leaseExpiresAt: null,
				} as never,
				{ where: { id: ids, leaseOwner: this.#options.owner, status: "running" } as WhereOptions }
			);
			if (changed > 0) this.#options.logger.info(`${this.#options.name}: handed ${changed} job(s) back to the queue`);
		} catch (err) {
			this.#options.logger.warn(`${this.#options.name}: handing jobs back failed; their leases will run out: ${reasonOf(err)}`);
		}
	}
}
