import { createHash } from "node:crypto";
import type { CompleteParams } from "../../shared/contracts/llm.ts";
import type { OptimizerModels } from "./models.ts";

export interface CachedResult {
	output: string;
	costUsd: number;
	latencyMs: number;
}

function canonical(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(canonical);
	if (value && typeof value === "object") {
		const entries = Object.entries(value).filter(([, v]) => v !== undefined);
		return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]));
	}
	return value;
}

/** The identity of one call: the exact request (model, params, prompt or task with its input) and repeat number. */
export function resultKey(request: CompleteParams, repeat: number): string {
	return createHash("sha256").update(JSON.stringify(canonical({ request, repeat }))).digest("hex");
}

/**
 * Every call a study makes, kept per user under the key of its request: a study re-run, or another
 * study that meets the same configuration and example, reads it instead of paying again.
 */
export class ResultCache {
	readonly #models: OptimizerModels;
	readonly #userId: string;

	constructor(models: OptimizerModels, userId: string) {
		this.#models = models;
		this.#userId = userId;
	}

	async get(key: string): Promise<CachedResult | undefined> {
		const row = await this.#models.Result.findOne({ where: { userId: this.#userId, cacheKey: key } });
		return row ? { output: row.output, costUsd: row.costUsd, latencyMs: row.latencyMs } : undefined;
	}

	/**
	 * Adds a call's cost to the study's spend and stores its result (when it produced one) in one
	 * transaction, so a crash never leaves a paid call out of the resumed study's budget.
	 */
	async record(spend: { studyId: string; costUsd: number; called: boolean }, fresh?: { key: string; result: CachedResult }): Promise<void> {
		const { Result, Study } = this.#models;
		await Result.sequelize!.transaction(async transaction => {
			if (fresh) await Result.bulkCreate([{ userId: this.#userId, cacheKey: fresh.key, ...fresh.result }], { ignoreDuplicates: true, transaction });
			await Study.increment({ spentUsd: spend.costUsd, calls: spend.called ? 1 : 0 }, { where: { id: spend.studyId }, transaction });
		});
	}
}
