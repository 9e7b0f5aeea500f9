import crypto from "node:crypto";
import { Errors, type Context, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import type { PassThrough } from "node:stream";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { createDbMixin, type DbServiceThis } from "../../shared/db/db.mixin.ts";
import { platformConfig } from "../../shared/platform.ts";
import { conflict, invalidInput, tooManyRequests } from "../../shared/errors.ts";
import { callerOf, findOwned } from "../../shared/ownership.ts";
import type { CallerMeta } from "../../shared/contracts/auth.ts";
import type { DocumentSummary, DocumentText } from "../../shared/contracts/documents.ts";
import type { CompleteParams, CompleteResult } from "../../shared/contracts/llm.ts";
import { ACTIVE_JOB_STATUSES, JobQueue, QueueFullError, jobEventStream, jobQueueGauges, type JobStatus } from "../../shared/jobs/index.ts";
import { leaseOwnerGone, missingDependency, nodesOffering } from "../../shared/jobs/bus-presence.ts";
import { migrations } from "./analyses/migrations/index.ts";
import { defineAnalysisModels, type AnalysisModels, type AnalysisRow } from "./analyses/models.ts";
import { optionsKey, resolveOptions, type ProviderInfo, type SavedProfile } from "./analyses/options.ts";
import { analyseDocument } from "./analyses/analyse-document.ts";
import { analysisEventRenderer, analysisListItem, analysisView } from "./analyses/view.ts";
import { byIdParams, createParams, listParams } from "./analyses/params.ts";
import { OPENAPI } from "./analyses/openapi.ts";
import type { AnalysisOptions, AnalysisRequest, AnalysisView } from "./analyses/types.ts";

/** What a running analysis calls: while one is unreachable, this node claims no analysis. */
const NEEDED_ACTIONS = ["documents.text", "llm.complete"];
/** Seconds a client refused for a full queue is asked to wait: about the time a few analyses take. */
const QUEUE_FULL_RETRY_AFTER_S = 30;
/** A whole map or reduce call may take long on a slow model; the llm service enforces its own deadlines inside. */
const LLM_CALL_TIMEOUT_MS = 180_000;
const OPEN_STREAMS_METRIC = "platform.analyses.streams.open";
/** How many earlier successes are looked at for one without provider errors to serve from. */
const REUSE_CANDIDATES = 5;

interface AnalysesThis extends DbServiceThis<AnalysisModels> {
	queue: JobQueue<AnalysisRow>;
	/** SSE streams on this node, by analysis id: told when a change notice arrives. */
	listeners: Map<string, Set<() => void>>;
	openStreams: number;
	maxOpenStreams: number;
	ownAnalysis(ctx: Context<unknown, CallerMeta>, id: string): Promise<AnalysisRow>;
	readDocument(ctx: Context<unknown, CallerMeta>, id: string): Promise<DocumentSummary>;
	resolveRequest(ctx: Context<unknown, CallerMeta>, request: AnalysisRequest): Promise<AnalysisOptions>;
	submit(userId: string, documentId: string, options: AnalysisOptions, refresh: boolean): Promise<AnalysisRow>;
	announce(analysis: AnalysisRow, status: JobStatus): void;
	countStreams(delta: number): void;
}

/** The analysis's owner, as the worker acts for them with the documents and llm services. */
function ownerMeta(userId: string): CallerMeta {
	return { user: { id: userId, email: "", role: "user", via: "access-token" } };
}

const AnalysesService: ServiceSchema<ServiceSettingSchema, Record<string, any>, Record<string, any>, AnalysesThis> = {
	name: "analyses",
	mixins: [createDbMixin({ name: "analyses", migrations, models: defineAnalysisModels }), createHealthMixin()],

	events: {
		/** A job was queued somewhere: look now instead of at the next poll. */
		"analyses.queued"(this: AnalysesThis) {
			this.queue?.nudge();
		},

		/** An analysis moved on (on any node): the streams watching it here re-read it. */
		"analyses.changed"(this: AnalysesThis, ctx: Context<{ id: string }>) {
			for (const listener of this.listeners.get(ctx.params.id) ?? []) listener();
		},

		/** Auto-analysis of an upload made with `analyze=true`, with the default options. */
		"documents.extracted": {
			params: { documentId: "string", userId: "string", analyze: { type: "boolean", optional: true } },
			async handler(this: AnalysesThis, ctx: Context<{ documentId: string; userId: string; analyze?: boolean }>) {
				if (!ctx.params.analyze) return;
				try {
					const known = await ctx.call<ProviderInfo[], Record<string, never>>("llm.providers", {}, { meta: ownerMeta(ctx.params.userId) });
					await this.submit(ctx.params.userId, ctx.params.documentId, resolveOptions({}, known), false);
				} catch (err) {
					this.logger.error(`Auto-analysis of document ${ctx.params.documentId} could not be queued: ${(err as Error).message}`);
				}
			},
		},

		/** An analysis is derived from the document's content: deleting the document deletes its analyses. */
		"documents.deleted": {
			params: { documentId: "string", userId: "string" },
			async handler(this: AnalysesThis, ctx: Context<{ documentId: string; userId: string }>) {
				const where = { documentId: ctx.params.documentId, userId: ctx.params.userId };
				const active = await this.models.Analysis.findAll({ where: { ...where, status: ACTIVE_JOB_STATUSES }, attributes: ["id"] });
				for (const { id } of active) await this.queue.cancel(id, where);
				await this.models.Analysis.destroy({ where });
			},
		},

		/** A node left: its running analyses are taken over now, not when their leases run out. */
		async "$node.disconnected"(this: AnalysesThis, ctx: Context<{ node: { id: string } }>) {
			try {
				await this.queue?.expireLeasesOf(ctx.params.node.id);
			} catch (err) {
				this.logger.warn(`Releasing the analyses of departed node ${ctx.params.node.id} failed; their leases will run out: ${(err as Error).message}`);
			}
		},
	},

	actions: {
		create: {
			rest: { method: "POST", basePath: "/documents", path: "/:id/analyses" },
			openapi: OPENAPI.create,
			params: createParams,
			async handler(this: AnalysesThis, ctx: Context<AnalysisRequest & { id: string }, CallerMeta>) {
				const user = callerOf(ctx);
				const document = await this.readDocument(ctx, ctx.params.id);
				if (document.status === "failed") {
					throw invalidInput(`The document could not be read, so it cannot be analysed${document.error ? `: ${document.error}` : ""}`, { documentStatus: document.status });
				}
				if (document.status !== "ready") {
					throw conflict(`The document is not ready yet (status ${document.status}); analyse it once its status is ready`);
				}
				const options = await this.resolveRequest(ctx, ctx.params);
				const analysis = await this.submit(user.id, document.id, options, ctx.params.refresh === true);
				ctx.meta.$statusCode = 202;
				ctx.meta.$responseHeaders = { Location: `/api/v1/analyses/${analysis.id}` };
				return { id: analysis.id, status: analysis.status, cached: analysis.cached };
			},
		},

		list: {
			rest: { method: "GET", basePath: "/documents", path: "/:id/analyses" },
			openapi: OPENAPI.list,
			params: listParams,
			async handler(this: AnalysesThis, ctx: Context<{ id: string; limit?: number; offset?: number }, CallerMeta>) {
				const user = callerOf(ctx);
				const document = await this.readDocument(ctx, ctx.params.id);
				const { rows, count } = await this.models.Analysis.findAndCountAll({
					where: { userId: user.id, documentId: document.id },
					order: [["createdAt", "DESC"]],
					limit: ctx.params.limit ?? 20,
					offset: ctx.params.offset ?? 0,
				});
				return { items: rows.map(analysisListItem), total: count };
			},
		},

		get: {
			rest: "GET /:id",
			openapi: OPENAPI.get,
			params: byIdParams,
			async handler(this: AnalysesThis, ctx: Context<{ id: string }, CallerMeta>): Promise<AnalysisView> {
				return analysisView(await this.ownAnalysis(ctx, ctx.params.id));
			},
		},

		cancel: {
			rest: "POST /:id/cancel",
			openapi: OPENAPI.cancel,
			params: byIdParams,
			async handler(this: AnalysesThis, ctx: Context<{ id: string }, CallerMeta>): Promise<AnalysisView> {
				const analysis = await this.ownAnalysis(ctx, ctx.params.id);
				if (!(await this.queue.cancel(analysis.id, { userId: analysis.userId }))) {
					throw conflict(`The analysis has already ${analysis.status === "cancelled" ? "been cancelled" : "finished"}`);
				}
				const cancelled = await this.ownAnalysis(ctx, ctx.params.id);
				this.announce(cancelled, "cancelled");
				return analysisView(cancelled);
			},
		},

		events: {
			rest: "GET /:id/events",
			openapi: OPENAPI.events,
			params: byIdParams,
			async handler(this: AnalysesThis, ctx: Context<{ id: string }, CallerMeta>): Promise<PassThrough> {
				const analysis = await this.ownAnalysis(ctx, ctx.params.id);
				if (this.openStreams >= this.maxOpenStreams) throw tooManyRequests("Too many progress streams are open on this node; poll GET /api/v1/analyses/:id instead", 5);
				const { id, userId } = analysis;
				this.countStreams(1);
				ctx.meta.$responseType = "text/event-stream";
				ctx.meta.$responseHeaders = { "Cache-Control": "no-cache", "X-Accel-Buffering": "no" };
				return jobEventStream<AnalysisView>(
					{
						read: async () => {
							const row = await this.models.Analysis.findOne({ where: { id, userId } });
							return row ? analysisView(row) : null;
						},
						subscribe: listener => {
							const set = this.listeners.get(id) ?? new Set();
							set.add(listener);
							this.listeners.set(id, set);
							return () => {
								set.delete(listener);
								if (set.size === 0) this.listeners.delete(id);
							};
						},
					},
					{ render: analysisEventRenderer(), pollMs: 2_000, keepAliveMs: 15_000, maxLifetimeMs: 30 * 60_000, onClose: () => this.countStreams(-1) }
				);
			},
		},
	},

	methods: {

		/** The caller's analysis; anyone else's, like a malformed id, is simply not found. */
		async ownAnalysis(this: AnalysesThis, ctx: Context<unknown, CallerMeta>, id: string): Promise<AnalysisRow> {
			return findOwned(this.models.Analysis, callerOf(ctx).id, id, "Analysis");
		},

		/** The documents service answers 404 for another user's document, so ownership is checked there. */
		readDocument(ctx: Context<unknown, CallerMeta>, id: string): Promise<DocumentSummary> {
			return ctx.call<DocumentSummary, { id: string }>("documents.get", { id });
		},

		async resolveRequest(ctx: Context<unknown, CallerMeta>, request: AnalysisRequest): Promise<AnalysisOptions> {
			const known = await ctx.call<ProviderInfo[], Record<string, never>>("llm.providers", {});
			let profile: SavedProfile | undefined;
			if (request.profile) {
				try {
					profile = await ctx.call<SavedProfile, { name: string }>("optimizer.getProfile", { name: request.profile });
				} catch (err) {
					if ((err as { code?: number }).code === 404) throw invalidInput(`Unknown profile "${request.profile}"`, { field: "profile", value: request.profile });
					throw err;
				}
			}
			return resolveOptions(request, known, profile);
		},

		/**
		 * The same document, options and provider set: an analysis already under way is answered as
		 * it is, one that succeeded for every provider is copied as a cached result. Otherwise (or with
		 * `refresh`) a new job is queued and every analyses node is nudged.
		 */
		async submit(this: AnalysesThis, userId: string, documentId: string, options: AnalysisOptions, refresh: boolean): Promise<AnalysisRow> {
			const { Analysis } = this.models;
			const key = optionsKey(documentId, options);
			if (!refresh) {
				const running = await Analysis.findOne({ where: { userId, optionsKey: key, status: ACTIVE_JOB_STATUSES }, order: [["createdAt", "DESC"]] });
				if (running) return running;
				const earlier = await Analysis.findAll({ where: { userId, optionsKey: key, status: "succeeded" }, order: [["createdAt", "DESC"]], limit: REUSE_CANDIDATES });
				const complete = earlier.find(a => (a.results ?? []).every(r => !r.error));
				if (complete) {
					const now = new Date();
					const copy = await Analysis.create({
						id: crypto.randomUUID(),
						userId,
						documentId,
						options,
						optionsKey: key,
						results: complete.results,
						consensus: complete.consensus,
						usage: complete.usage,
						costUsd: complete.costUsd,
						cached: true,
						status: "succeeded",
						attempts: 0,
						runAfter: now,
						progress: complete.progress,
						startedAt: now,
						finishedAt: now,
					} as never);
					this.announce(copy, "succeeded");
					return copy;
				}
			}
			const { jobs } = platformConfig(this.broker);
			let analysis: AnalysisRow;
			try {
				analysis = await this.queue.enqueue(
					{ id: crypto.randomUUID(), userId, documentId, options, optionsKey: key, progress: { done: 0, total: 0 } },
					{ key: { attribute: "userId", value: userId }, perKey: jobs.userActiveMax, total: jobs.activePerNodeMax * nodesOffering(this.broker, "analyses") }
				);
			} catch (err) {
				if (!(err instanceof QueueFullError)) throw err;
				if (err.scope === "key") {
					throw tooManyRequests(`You have ${err.active} analyses queued or running; at most ${err.limit} at once. Wait for some to finish, or cancel some`, QUEUE_FULL_RETRY_AFTER_S);
				}
				throw new Errors.MoleculerClientError("The analysis queue is full; try again after the time in Retry-After", 429, "QUEUE_FULL", { retryAfter: QUEUE_FULL_RETRY_AFTER_S });
			}
			this.broker.broadcast("analyses.queued", { id: analysis.id }, { groups: ["analyses"] });
			return analysis;
		},

		/** Every change reaches the streams on all nodes; an ending is also `analysis.completed` for other services. */
		announce(this: AnalysesThis, analysis: AnalysisRow, status: JobStatus) {
			this.broker.broadcast("analyses.changed", { id: analysis.id }, { groups: ["analyses"] });
			if (!ACTIVE_JOB_STATUSES.includes(status)) {
				this.broker.emit("analysis.completed", { analysisId: analysis.id, documentId: analysis.documentId, userId: analysis.userId, status });
			}
		},

		countStreams(this: AnalysesThis, delta: number) {
			this.openStreams += delta;
			if (this.broker.isMetricsEnabled()) this.broker.metrics.set(OPEN_STREAMS_METRIC, this.openStreams);
		},
	},

	created(this: AnalysesThis) {
		this.listeners = new Map();
		this.openStreams = 0;
		// Each open stream costs a socket and a timer or two; a few per MB of budget is plenty.
		this.maxOpenStreams = Math.max(50, platformConfig(this.broker).memoryBudgetMb);
		if (this.broker.isMetricsEnabled()) {
			this.broker.metrics.register({ type: "gauge", name: OPEN_STREAMS_METRIC, description: "Analysis progress streams (SSE) open on this node" });
		}
	},

	async started(this: AnalysesThis) {
		const { jobs } = platformConfig(this.broker);
		this.queue = new JobQueue<AnalysisRow>({
			name: "analyses",
			model: this.models.Analysis,
			owner: this.broker.nodeID,
			concurrency: jobs.concurrency,
			fairBy: "userId",
			runningPerKey: jobs.userRunningMax,
			outageWindowMs: jobs.outageWindowMs,
			waitsFor: missingDependency(this.broker, NEEDED_ACTIONS),
			ownerGone: leaseOwnerGone(this.broker),
			onDepth: jobQueueGauges(this.broker, "analyses"),
			logger: this.logger,
			handler: (analysis, context) =>
				analyseDocument(analysis, context, {
					documentText: (documentId, userId) => this.broker.call<DocumentText, { id: string }>("documents.text", { id: documentId }, { meta: ownerMeta(userId) }),
					complete: userId => (params: CompleteParams) => this.broker.call<CompleteResult, CompleteParams>("llm.complete", params, { meta: ownerMeta(userId), timeout: LLM_CALL_TIMEOUT_MS, caller: "analyses" }),
					progressed: changed => this.broker.broadcast("analyses.changed", { id: changed.id }, { groups: ["analyses"] }),
				}),
			onStatus: (analysis, status) => this.announce(analysis, status),
		});
		this.queue.start();
	},

	async stopped(this: AnalysesThis) {
		await this.queue?.stop();
	},
};

export default AnalysesService;
