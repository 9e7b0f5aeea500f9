import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import type { PassThrough } from "node:stream";
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { UniqueConstraintError } from "sequelize";
import { createDbMixin, type DbServiceThis } from "../../shared/db/db.mixin.ts";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { platformConfig } from "../../shared/platform.ts";
import { conflict, invalidInput, notFound, tooManyRequests } from "../../shared/errors.ts";
import { callerOf, findOwned } from "../../shared/ownership.ts";
import type { CallerMeta } from "../../shared/contracts/auth.ts";
import type { DocumentText } from "../../shared/contracts/documents.ts";
import { JobQueue, QueueFullError, jobConcurrency, jobEventStream, jobQueueGauges, type JobStatus } from "../../shared/jobs/index.ts";
import { leaseOwnerGone, missingDependency } from "../../shared/jobs/bus-presence.ts";
import { migrations } from "./migrations/index.ts";
import { defineModels, type OptimizerModels, type StudyRow, type TrialRow } from "./models.ts";
import { ModelPrices } from "./model-prices.ts";
import { awaitServices, ownerCompletion } from "./llm-client.ts";
import { compileJsonSchema } from "./scorers/json-metrics.ts";
import { parseStudyDefinition } from "./study/parse-definition.ts";
import { estimateStudy } from "./estimate.ts";
import { plannedTrials, runStudy } from "./study-runner.ts";
import { studyEventRenderer } from "./study-events.ts";
import { profileView, studyBest, studyPareto, studyView, trialView, type ProfileView, type StudyView } from "./views.ts";
import { callSettings, DEFAULT_MAX_TOKENS } from "./trial-request.ts";
import { applyParams, byIdParams, listParams, profileNameParam } from "./params.ts";
import { OPENAPI } from "./openapi.ts";

/** What one running study holds at its peak (its dataset, trials, a few calls in flight), for the concurrency limit. */
const STUDY_PEAK_MB = 16;
/** Short leases: a crashed optimizer node's study moves on within seconds. */
const STUDY_LEASE_MS = 15_000;

type Meta = CallerMeta;

interface ProviderInfo {
	name: string;
	configured: boolean;
}

interface OptimizerThis extends DbServiceThis<OptimizerModels> {
	queue: JobQueue<StudyRow>;
	prices: ModelPrices;
	/** Change notices of studies, by study id, for the SSE streams open on this node. */
	changes: EventEmitter;
	openStreams: number;
	maxOpenStreams: number;
	ownStudy(ctx: Context<unknown, Meta>, id: string): Promise<StudyRow>;
	trialsOf(study: StudyRow): Promise<TrialRow[]>;
	view(study: StudyRow): Promise<StudyView>;
	notify(studyId: string): void;
}

const OptimizerService: ServiceSchema<ServiceSettingSchema, Record<string, any>, Record<string, any>, OptimizerThis> = {
	name: "optimizer",
	mixins: [createDbMixin({ name: "optimizer", migrations, models: defineModels }), createHealthMixin()],

	events: {
		/** A study was queued somewhere: look now instead of at the next poll. */
		"optimizer.study.queued"(this: OptimizerThis) {
			this.queue?.nudge();
		},

		/** A study moved on (on any node): its streams here re-read it. */
		"optimizer.study.changed"(this: OptimizerThis, ctx: Context<{ id: string }>) {
			this.notify(ctx.params.id);
		},

		"optimizer.trial.completed"(this: OptimizerThis, ctx: Context<{ studyId: string }>) {
			this.notify(ctx.params.studyId);
		},

		/** A node left: its running studies are taken over now, not when their leases run out. */
		async "$node.disconnected"(this: OptimizerThis, ctx: Context<{ node: { id: string } }>) {
			try {
				await this.queue?.expireLeasesOf(ctx.params.node.id);
			} catch (err) {
				this.logger.warn(`Releasing the studies of departed node ${ctx.params.node.id} failed; their leases will run out: ${(err as Error).message}`);
			}
		},
	},

	actions: {
		createStudy: {
			rest: "POST /studies",
			openapi: OPENAPI.createStudy,
			async handler(this: OptimizerThis, ctx: Context<Record<string, unknown>, Meta>) {
				const user = callerOf(ctx);
				const usesDocuments = Array.isArray(ctx.params.dataset) && ctx.params.dataset.some(e => (e as { documentId?: unknown })?.documentId !== undefined);
				await awaitServices(this.broker, usesDocuments ? ["llm", "documents"] : ["llm"]);
				const providers = await ctx.call<ProviderInfo[], Record<string, never>>("llm.providers", {});
				const definition = await parseStudyDefinition(ctx.params, {
					providers,
					resolveDocument: async id => (await ctx.call<DocumentText, { id: string }>("documents.text", { id })).text,
					checkJsonSchema: async schema => void (await compileJsonSchema(schema)),
				});
				if (ctx.params.dryRun === true) {
					return { estimate: await estimateStudy(definition, model => this.prices.of(model)) };
				}
				let study: StudyRow;
				try {
					// Counted and stored in one step: parallel creations cannot all pass one count.
					study = await this.queue.enqueue(
						{
							id: crypto.randomUUID(),
							userId: user.id,
							owner: { id: user.id, email: user.email, role: user.role, via: user.via },
							name: definition.name,
							definition,
							progress: { done: 0, total: plannedTrials(definition) },
						},
						{ key: { attribute: "userId", value: user.id }, perKey: platformConfig(this.broker).jobs.userActiveStudiesMax }
					);
				} catch (err) {
					if (!(err instanceof QueueFullError)) throw err;
					throw tooManyRequests(`You have ${err.active} studies queued or running; at most ${err.limit} at once. Wait for one to end or cancel one`, 30);
				}
				this.broker.broadcast("optimizer.study.queued", { id: study.id }, { groups: ["optimizer"] });
				ctx.meta.$statusCode = 202;
				ctx.meta.$responseHeaders = { Location: `/api/v1/optimizer/studies/${study.id}` };
				return { id: study.id, status: study.status };
			},
		},

		listStudies: {
			rest: "GET /studies",
			openapi: OPENAPI.listStudies,
			params: listParams,
			async handler(this: OptimizerThis, ctx: Context<{ limit?: number; offset?: number }, Meta>) {
				const user = callerOf(ctx);
				const { rows, count } = await this.models.Study.findAndCountAll({
					where: { userId: user.id },
					attributes: ["id", "name", "status", "progress", "spentUsd", "stopReason", "createdAt", "finishedAt"],
					order: [["createdAt", "DESC"]],
					limit: ctx.params.limit ?? 20,
					offset: ctx.params.offset ?? 0,
				});
				const items = rows.map(s => ({ id: s.id, name: s.name, status: s.status, progress: s.progress, spentUsd: s.spentUsd, stopReason: s.stopReason, createdAt: s.createdAt, finishedAt: s.finishedAt }));
				return { items, total: count };
			},
		},

		getStudy: {
			rest: "GET /studies/:id",
			openapi: OPENAPI.getStudy,
			params: byIdParams,
			async handler(this: OptimizerThis, ctx: Context<{ id: string }, Meta>): Promise<StudyView> {
				return this.view(await this.ownStudy(ctx, ctx.params.id));
			},
		},

		listTrials: {
			rest: "GET /studies/:id/trials",
			openapi: OPENAPI.listTrials,
			params: byIdParams,
			async handler(this: OptimizerThis, ctx: Context<{ id: string }, Meta>) {
				const study = await this.ownStudy(ctx, ctx.params.id);
				return { items: (await this.trialsOf(study)).map(trialView) };
			},
		},

		cancelStudy: {
			rest: "POST /studies/:id/cancel",
			openapi: OPENAPI.cancelStudy,
			params: byIdParams,
			async handler(this: OptimizerThis, ctx: Context<{ id: string }, Meta>): Promise<StudyView> {
				const study = await this.ownStudy(ctx, ctx.params.id);
				if (!(await this.queue.cancel(study.id, { userId: study.userId }))) {
					throw conflict(`The study has already ${study.status === "cancelled" ? "been cancelled" : `ended (status ${study.status})`}`);
				}
				this.broker.broadcast("optimizer.study.changed", { id: study.id }, { groups: ["optimizer"] });
				return this.view(await this.ownStudy(ctx, ctx.params.id));
			},
		},

		applyStudy: {
			rest: "POST /studies/:id/apply",
			openapi: OPENAPI.applyStudy,
			params: applyParams,
			async handler(this: OptimizerThis, ctx: Context<{ id: string; profile: string; trial?: number }, Meta>): Promise<{ profile: ProfileView }> {
				const study = await this.ownStudy(ctx, ctx.params.id);
				const trials = await this.trialsOf(study);
				const chosen =
					ctx.params.trial === undefined ? studyBest(study, trials) : studyPareto(study, trials).find(entry => entry.trial === ctx.params.trial);
				if (!chosen) {
					throw ctx.params.trial === undefined
						? conflict("The study has no completed trial yet, so there is no configuration to save")
						: invalidInput(`Trial ${ctx.params.trial} is not on the study's Pareto front; choose one of ${studyPareto(study, trials).map(e => e.trial).join(", ") || "none yet"}`);
				}
				const { model, params } = callSettings(chosen.params, study.definition.params);
				// The study sent a max_tokens to paid models when it searched none: the profile keeps what was measured.
				const price = await this.prices.of(model);
				if ((price.input > 0 || price.output > 0) && params.max_tokens === undefined) params.max_tokens = DEFAULT_MAX_TOKENS;
				// Prompt variants of a prompt study are the study's own templates, which mean nothing to the llm service.
				if (study.definition.task.type === "prompt") delete params.promptVariant;
				const values = { providers: [model], strategy: "single", params: params as Record<string, string | number>, studyId: study.id, scores: chosen.scores };
				const { Profile } = this.models;
				const where = { userId: study.userId, name: ctx.params.profile };
				let profile = await Profile.findOne({ where });
				if (profile) await profile.update(values);
				else {
					try {
						profile = await Profile.create({ ...where, ...values });
					} catch (err) {
						// Saved by a concurrent request a moment ago: this one's values win.
						if (!(err instanceof UniqueConstraintError)) throw err;
						profile = (await Profile.findOne({ where }))!;
						await profile.update(values);
					}
				}
				return { profile: profileView(profile) };
			},
		},

		events: {
			rest: "GET /studies/:id/events",
			openapi: OPENAPI.events,
			params: byIdParams,
			async handler(this: OptimizerThis, ctx: Context<{ id: string }, Meta>): Promise<PassThrough> {
				const { id, userId } = await this.ownStudy(ctx, ctx.params.id);
				if (this.openStreams >= this.maxOpenStreams) throw tooManyRequests("Too many study streams are open on this node; poll GET /api/v1/optimizer/studies/:id instead", 5);
				this.openStreams++;
				ctx.meta.$responseType = "text/event-stream";
				ctx.meta.$responseHeaders = { "Cache-Control": "no-cache", "X-Accel-Buffering": "no" };
				return jobEventStream(
					{
						read: async () => {
							const study = await this.models.Study.findOne({ where: { id, userId } });
							return study ? { study, trials: await this.trialsOf(study) } : null;
						},
						subscribe: listener => {
							this.changes.on(id, listener);
							return () => this.changes.off(id, listener);
						},
					},
					{ render: studyEventRenderer(), pollMs: 2_000, keepAliveMs: 15_000, maxLifetimeMs: 60 * 60_000, onClose: () => this.openStreams-- }
				);
			},
		},

		listProfiles: {
			rest: { method: "GET", path: "/profiles", basePath: "/" },
			openapi: OPENAPI.listProfiles,
			async handler(this: OptimizerThis, ctx: Context<unknown, Meta>): Promise<{ items: ProfileView[] }> {
				const user = callerOf(ctx);
				const profiles = await this.models.Profile.findAll({ where: { userId: user.id }, order: [["name", "ASC"]] });
				return { items: profiles.map(profileView) };
			},
		},

		deleteProfile: {
			rest: { method: "DELETE", path: "/profiles/:name", basePath: "/" },
			openapi: OPENAPI.deleteProfile,
			params: { name: profileNameParam },
			async handler(this: OptimizerThis, ctx: Context<{ name: string }, Meta>): Promise<null> {
				const user = callerOf(ctx);
				const removed = await this.models.Profile.destroy({ where: { userId: user.id, name: ctx.params.name } });
				if (removed === 0) throw notFound("Profile");
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** For the llm and analyses services: the caller's saved profile by name, or 404. */
		getProfile: {
			visibility: "public",
			params: { name: { type: "string", min: 1, max: 100 } },
			async handler(this: OptimizerThis, ctx: Context<{ name: string }, Meta>): Promise<ProfileView> {
				const user = callerOf(ctx);
				const profile = await this.models.Profile.findOne({ where: { userId: user.id, name: ctx.params.name } });
				if (!profile) throw notFound(`Profile "${ctx.params.name}"`);
				return profileView(profile);
			},
		},
	},

	methods: {

		/** The caller's study; anyone else's, like a malformed id, is simply not found. */
		async ownStudy(this: OptimizerThis, ctx: Context<unknown, Meta>, id: string): Promise<StudyRow> {
			return findOwned(this.models.Study, callerOf(ctx).id, id, "Study");
		},

		trialsOf(this: OptimizerThis, study: StudyRow): Promise<TrialRow[]> {
			return this.models.Trial.findAll({ where: { studyId: study.id }, order: [["number", "ASC"]] });
		},

		async view(this: OptimizerThis, study: StudyRow): Promise<StudyView> {
			return studyView(study, await this.trialsOf(study));
		},

		notify(this: OptimizerThis, studyId: string) {
			this.changes.emit(studyId);
		},
	},

	created(this: OptimizerThis) {
		this.openStreams = 0;
		// Each open stream costs a socket and a couple of timers; a few per MB of budget is plenty.
		this.maxOpenStreams = Math.max(50, platformConfig(this.broker).memoryBudgetMb);
		this.changes = new EventEmitter();
		// One listener per open stream, and the streams are bounded above: no leak to warn about.
		this.changes.setMaxListeners(0);
	},

	async started(this: OptimizerThis) {
		const config = platformConfig(this.broker);
		this.prices = new ModelPrices(this.broker);
		this.queue = new JobQueue<StudyRow>({
			name: "optimizer",
			model: this.models.Study,
			owner: this.broker.nodeID,
			concurrency: jobConcurrency(config, STUDY_PEAK_MB),
			leaseMs: STUDY_LEASE_MS,
			fairBy: "userId",
			runningPerKey: config.jobs.userRunningMax,
			outageWindowMs: config.jobs.outageWindowMs,
			waitsFor: missingDependency(this.broker, ["llm.complete"]),
			ownerGone: leaseOwnerGone(this.broker),
			onDepth: jobQueueGauges(this.broker, "optimizer"),
			logger: this.logger,
			handler: (study, context) =>
				runStudy(study, context, {
					models: this.models,
					completion: (owner, signal) => ownerCompletion(this.broker, owner.owner, signal),
					priceOf: model => this.prices.of(model),
					onTrial: (owner, trial) =>
						this.broker.broadcast("optimizer.trial.completed", { studyId: owner.id, userId: owner.userId, trial: trialView(trial) }),
				}),
			onStatus: (study, status: JobStatus) => {
				this.broker.broadcast("optimizer.study.changed", { id: study.id, status }, { groups: ["optimizer"] });
			},
		});
		this.queue.start();
	},

	async stopped(this: OptimizerThis) {
		await this.queue?.stop();
	},
};

export default OptimizerService;
