import type { Readable } from "node:stream";
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { createDbMixin, type DbServiceThis } from "../../shared/db/db.mixin.ts";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { platformConfig } from "../../shared/platform.ts";
import type { LlmPrice } from "../../shared/config.ts";
import type { CallerMeta } from "../../shared/contracts/auth.ts";
import type { CompleteParams, CompleteResult } from "../../shared/contracts/llm.ts";
import { abortableReadable } from "./abortable-readable.ts";
import { CallStore } from "./call-store.ts";
import { completeParamsSchema } from "./complete-params.ts";
import { migrations } from "./migrations/index.ts";
import { defineModels, type LlmModels } from "./models.ts";
import { Orchestrator, type ProviderListing, type RequestScope } from "./orchestrator.ts";
import type { Profile } from "./plan.ts";
import { ProviderGuards } from "./provider-guards.ts";
import { discoverProviders } from "./providers/registry.ts";
import { ResultCache } from "./result-cache.ts";
import { openStream } from "./stream-session.ts";
import { OVERHEAD_HEADER, PROVIDER_TIME_HEADER } from "./timing-headers.ts";
import { UsageLimits } from "./usage-limits.ts";

interface LlmThis extends DbServiceThis<LlmModels> {
	orchestrator: Orchestrator;
	store: CallStore;
	limits: UsageLimits;
	scope(ctx: Context<CompleteParams, CallerMeta>): Promise<RequestScope>;
}

/**
 * The LLM orchestrator: one request shape (CompleteParams) in, any of several providers out, with
 * strategies, fault tolerance, per-user limits, cost accounting, a result cache and a record of every
 * call. `llm.complete` is what other services call; the OpenAI-compatible service builds on it.
 */
const LlmService: ServiceSchema<ServiceSettingSchema, Record<string, any>, Record<string, any>, LlmThis> = {
	name: "llm",
	mixins: [createDbMixin({ name: "llm", migrations, models: defineModels }), createHealthMixin()],

	actions: {
		complete: {
			rest: "POST /complete",
			params: completeParamsSchema,
			async handler(this: LlmThis, ctx: Context<CompleteParams, CallerMeta>): Promise<CompleteResult> {
				const started = performance.now();
				const { result, providerMs } = await this.orchestrator.complete(ctx.params, await this.scope(ctx));
				ctx.meta.$responseHeaders = {
					...ctx.meta.$responseHeaders,
					[PROVIDER_TIME_HEADER]: providerMs.toFixed(2),
					[OVERHEAD_HEADER]: Math.max(0, performance.now() - started - providerMs).toFixed(2),
				};
				return result;
			},
		},

		/** Internal (no REST route): a stream of StreamChunk objects; the OpenAI-compatible endpoint serves it as SSE. */
		stream: {
			visibility: "public",
			params: completeParamsSchema,
			async handler(this: LlmThis, ctx: Context<CompleteParams, CallerMeta>): Promise<Readable> {
				// Destroying the returned stream (its reader went away) stops the provider's stream at once.
				const disconnected = new AbortController();
				const { chunks, providerMs } = await openStream(this.orchestrator, ctx.params, await this.scope(ctx), disconnected.signal);
				ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, [PROVIDER_TIME_HEADER]: providerMs.toFixed(2) };
				return abortableReadable(chunks, () => disconnected.abort(), { objectMode: true });
			},
		},

		providers: {
			rest: "GET /providers",
			handler(this: LlmThis): ProviderListing[] {
				return this.orchestrator.listProviders();
			},
		},

		/**
		 * Internal (no REST route): USD per million tokens of a `provider` or `provider:model`, as this
		 * service charges it, so the optimizer's worst-case costs use the same prices. 422 when unknown.
		 */
		price: {
			visibility: "public",
			params: { model: { type: "string", min: 1, max: 300 } },
			handler(this: LlmThis, ctx: Context<{ model: string }>): LlmPrice {
				const [target] = this.orchestrator.plan({ providers: [ctx.params.model], prompt: "?" }).targets;
				return this.orchestrator.priceOf(target);
			},
		},

		/** The caller's spending this month against the budget. */
		usage: {
			rest: "GET /usage",
			async handler(this: LlmThis, ctx: Context<unknown, CallerMeta>) {
				const user = ctx.meta.user;
				const settings = platformConfig(this.broker).llm;
				// Written first, so the figures are exact rather than counted from memory.
				await this.store.flush();
				const spent = user ? await this.store.monthSpend(user.id, true) : { month: new Date().toISOString().slice(0, 7), costUsd: 0, calls: 0 };
				return {
					month: spent.month,
					spentUsd: spent.costUsd,
					calls: spent.calls,
					budgetUsd: settings.userMonthlyBudgetUsd || null,
					requestsPerMinute: settings.userRequestsPerMinute || null,
				};
			},
		},
	},

	methods: {
		/** Who asks, and the saved profile whose values are the request's defaults. */
		async scope(this: LlmThis, ctx: Context<CompleteParams, CallerMeta>): Promise<RequestScope> {
			const profile = ctx.params.profile ? await ctx.call<Profile, { name: string }>("optimizer.getProfile", { name: ctx.params.profile }) : undefined;
			// `ctx.caller` is the service that made the call: the gateway and the OpenAI-compatible
			// endpoint speak for the user directly; analyses and the optimizer act on earlier requests.
			const countsTowardRequestLimit = ctx.caller === null || ctx.caller === "api" || ctx.caller === "openai";
			return { userId: ctx.meta.user?.id ?? null, profile, countsTowardRequestLimit };
		},
	},

	async started(this: LlmThis) {
		const config = platformConfig(this.broker);
		this.store = new CallStore(this.sequelize, this.models, this.logger);
		this.limits = new UsageLimits(config, this.store);
		await this.limits.start();
		this.orchestrator = new Orchestrator({
			config,
			providers: await discoverProviders(),
			guards: new ProviderGuards(config.llm),
			store: this.store,
			limits: this.limits,
			cache: new ResultCache(this.broker),
		});
	},

	async stopped(this: LlmThis) {
		await Promise.all([...(this.orchestrator?.providers.values() ?? [])].map(provider => provider.close?.()));
		await this.store?.close();
		await this.limits?.stop();
	},
};

export default LlmService;
