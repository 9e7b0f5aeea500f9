import { Op, type Model, type ModelStatic, type WhereOptions } from "sequelize";
import { claimJobs } from "./claim.ts";
import { ACTIVE_JOB_STATUSES, type JobAttributes, type JobStatus } from "./columns.ts";
import { JobAbortedError, UnretryableJobError, type JobAbortReason } from "./errors.ts";

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
	/** How long stop() lets aborted handlers wind down before it hands their jobs back anyway. Default 5 s. */
	stopTimeoutMs?: number;
	logger?: JobQueueLogger;
	/** Every status change this queue makes (a claim, a retry, a hand-back, the final state), after it is stored. */
	onStatus?: (job: TJob, status: JobStatus) => void;
}

type JobRow = Model & JobAttributes & { id: string | number };

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
	readonly #options: Required<Omit<JobQueueOptions<TJob>, "onStatus">> & Pick<JobQueueOptions<TJob>, "onStatus">;
	readonly #running = new Map<string | number, RunningJob>();
	#timer: NodeJS.Timeout | undefined;
	#idleDelay: number;
	#polling: Promise<void> | undefined;
	#pollAgain = false;
	#started = false;
	/** Wake-ups for retries this node scheduled, so they start when due rather than at the next idle poll. */
	readonly #retryTimers = new Set<NodeJS.Timeout>();

	constructor(options: JobQueueOptions<TJob>) {
		this.#options = {
			leaseMs: 30_000,
			maxAttempts: 3,
			pollMinMs: 250,
			pollMaxMs: 5_000,
			retryDelayMs: defaultRetryDelay,
			stopTimeoutMs: 5_000,
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
		this.nudge();
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

	/** Stores a new queued job and looks for work at once. */
	async enqueue(values: Record<string, unknown>): Promise<TJob> {
		const job = await this.#options.model.create({ ...values, status: "queued", attempts: 0, runAfter: new Date() } as never);
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
		try {
			const { claimed, exhausted } = await claimJobs(this.#options.model, {
				owner: this.#options.owner,
				limit: free,
				leaseMs: this.#options.leaseMs,
				maxAttempts: this.#options.maxAttempts,
			});
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
				await this.#settle(job, { ...values, status: "succeeded", finishedAt: new Date(), lastError: null });
			} catch (err) {
				if (controller.signal.aborted) {
					const reason = (controller.signal.reason as JobAbortedError).reason as JobAbortReason;
					if (reason === "stopping") await this.#handBack([row.id]);
				} else {
					await this.#fail(job, err);
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
			return this.#settle(job, { status: "failed", finishedAt: new Date(), lastError });
		}
		this.#options.logger.info(`${this.#options.name}: job ${row.id} attempt ${row.attempts} failed, will retry: ${reason}`);
		const delay = this.#options.retryDelayMs(row.attempts);
		const wake = setTimeout(() => {
			this.#retryTimers.delete(wake);
			this.nudge();
		}, delay);
		wake.unref();
		this.#retryTimers.add(wake);
		return this.#settle(job, { status: "queued", runAfter: new Date(Date.now() + delay), lastError: reason });
	}

	/** The job's next state, written only while this node still holds it. */
	async #settle(job: TJob, values: Record<string, unknown> & { status: JobStatus }): Promise<void> {
		const row = job as unknown as JobRow;
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
