/**
 * Durable jobs whose state lives in the caller's own table.
 *
 * 1. Table: the service's migration creates its table with `...jobTableColumns()` beside its own
 *    columns (an `id` primary key, `created_at`/`updated_at` as usual), then calls
 *    `addJobIndexes(queryInterface, table)`. Its model spreads `...jobModelAttributes()`.
 *    Columns: status (queued | running | succeeded | failed | cancelled), attempts, run_after,
 *    lease_owner, lease_expires_at, last_error, progress ({ done, total }), started_at, finished_at.
 *
 * 2. Queue, one per service instance, created in `started` once `this.models` exists:
 *        const queue = new JobQueue({ name: "analyses", model, owner: broker.nodeID,
 *            concurrency: jobConcurrency(config, 16), handler: async (job, { signal, progress, attempt }) => {
 *                ...; await progress(done, total); signal.throwIfAborted(); ...
 *                return { result };          // saved in the same write that marks it succeeded
 *            }, onStatus: (job, status) => broker.broadcast(...) });
 *        queue.start();        // in started
 *        await queue.stop();   // in stopped, before the database is released
 *    - `queue.enqueue(values)` stores a queued job and polls at once; any node may then run it.
 *    - `queue.nudge()` polls now; call it from an event handler ("a job was queued"). Events are
 *      only nudges: idle workers also poll, backing off from pollMinMs to pollMaxMs.
 *    - `queue.cancel(id, where?)` cancels a queued or running job; its handler's signal aborts.
 *    - `queue.releaseIfGone(nodeID)` from `$node.disconnected`: a dead node's jobs are taken over
 *      at once instead of when their leases run out (`ownerGone` confirms first, when set);
 *      `queue.expireLeasesOf(nodeID)` does it unconditionally.
 *
 * 3. Progress for clients: `jobEventStream(source, { render, pollMs, keepAliveMs, maxLifetimeMs })`
 *    returns server-sent events of one job for an action to return (moleculer-web streams it).
 *
 * 4. Fairness, caps, outages, stopping (options of the queue):
 *    - `fairBy: "userId"` claims queued jobs round-robin across users (fewest running first, then
 *      the longest waiting), and `runningPerKey` caps one user's running jobs across all nodes.
 *    - `enqueue(values, { key, perKey, total })` stores the job only under those counts of queued
 *      and running jobs, counted and written atomically across nodes; else QueueFullError.
 *    - A handler error that says something is unreachable (Moleculer's SERVICE_NOT_AVAILABLE and
 *      kin, an unreachable database, or a JobWaitError) hands the job back with a back-off of 1 to
 *      15 s, without counting the attempt, and stores `waiting_for`/`waiting_since`; after
 *      `outageWindowMs` (10 min) of waiting it fails saying what it waited for. `waitsFor()`
 *      pauses claiming while the bus or a needed action is missing. `ownerGone(owner)` lets the
 *      queue release at once the live leases of nodes that left the bus.
 *    - `JobQueue.stopAll(nodeID)`, from the broker's `stopping` hook (stopQueuesMiddleware), stops
 *      claiming at once and hands running jobs back within `stopTimeoutMs` (2 s).
 *
 * Guarantees. A claim is a conditional write (on the status and attempt count read), and on
 * PostgreSQL the candidates are read `FOR UPDATE SKIP LOCKED`, so several nodes share one table and
 * no job runs twice at once; on SQLite the one process is the only worker. A running job's lease
 * (leaseMs, default 30 s) is renewed every leaseMs/3 and by progress(); a job whose worker died is
 * claimed again once the lease has run out. A handler that throws is retried after a back-off
 * (this node wakes up for the retry when it is due) until maxAttempts (default 3), then the job is failed with last_error saying why; throw
 * `UnretryableJobError` to fail at once. Every outcome is written only while this node still
 * holds the lease, so a job taken over or cancelled meanwhile keeps its newer state. stop() stops
 * claiming, aborts running handlers (signal.reason: JobAbortedError "stopping") and hands their
 * jobs back as queued without counting the attempt. Leases compare node clocks: keep them in
 * sync (NTP); the lease is tens of seconds, skew should be milliseconds.
 */
export { JobQueue, type JobContext, type JobHandler, type JobQueueOptions, type JobQueueLogger } from "./queue.ts";
export {
	ACTIVE_JOB_STATUSES,
	jobTableColumns,
	jobModelAttributes,
	addJobIndexes,
	addJobWaitColumns,
	removeJobWaitColumns,
	jobWaitModelAttributes,
	type JobStatus,
	type JobProgress,
	type JobAttributes,
} from "./columns.ts";
export { jobConcurrency } from "./concurrency.ts";
export { jobEventStream, type JobEventSource, type JobEventStreamOptions } from "./event-stream.ts";
export { UnretryableJobError, JobAbortedError, QueueFullError, type JobAbortReason } from "./errors.ts";
export { JobWaitError, outageOf, UNREACHABLE_ERROR_TYPES } from "./outage.ts";
export { type AdmissionLimits } from "./admission.ts";
export { jobQueueGauges } from "./metrics.ts";
export { stopQueuesMiddleware } from "./stop-queues.middleware.ts";
export { StreamQuota } from "./stream-quota.ts";
