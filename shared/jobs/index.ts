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
 *    - `queue.expireLeasesOf(nodeID)` from `$node.disconnected`: a dead node's jobs are taken over
 *      at once instead of when their leases run out.
 *
 * 3. Progress for clients: `jobEventStream(source, { render, pollMs, keepAliveMs, maxLifetimeMs })`
 *    returns server-sent events of one job for an action to return (moleculer-web streams it).
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
	type JobStatus,
	type JobProgress,
	type JobAttributes,
} from "./columns.ts";
export { jobConcurrency } from "./concurrency.ts";
export { jobEventStream, type JobEventSource, type JobEventStreamOptions } from "./event-stream.ts";
export { StreamQuota } from "./stream-quota.ts";
export { UnretryableJobError, JobAbortedError, type JobAbortReason } from "./errors.ts";
