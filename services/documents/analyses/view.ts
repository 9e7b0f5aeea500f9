import { ACTIVE_JOB_STATUSES } from "../../../shared/jobs/index.ts";
import type { AnalysisRow } from "./models.ts";
import type { AnalysisView } from "./types.ts";

/** An analysis as GET /analyses/:id answers it. */
export function analysisView(row: AnalysisRow): AnalysisView {
	return {
		id: row.id,
		documentId: row.documentId,
		status: row.status,
		progress: row.progress ?? { done: 0, total: 0 },
		options: row.options,
		results: row.results ?? [],
		consensus: row.consensus,
		usage: row.usage ?? { inputTokens: 0, outputTokens: 0 },
		costUsd: row.costUsd,
		cached: row.cached,
		// A queued job may carry the reason of a failed attempt it will retry; only a failure is reported.
		error: row.status === "failed" ? row.lastError : null,
		waitingFor: row.status === "queued" ? (row.waitingFor ?? null) : null,
		createdAt: row.createdAt.toISOString(),
		completedAt: row.finishedAt ? row.finishedAt.toISOString() : null,
	};
}

/** A list entry: the state and the options, without the (possibly large) results. */
export function analysisListItem(row: AnalysisRow) {
	const { results: _results, consensus: _consensus, ...item } = analysisView(row);
	return { ...item, providers: (row.results ?? []).map(r => ({ provider: r.provider, model: r.model, error: r.error?.message ?? null })) };
}

/** The SSE events of one analysis: `progress` ({ id, status, progress }) on every change, then `done` with the whole analysis. */
export function analysisEventRenderer() {
	let last = "";
	return (view: AnalysisView, send: (event: string, data: unknown) => void): boolean => {
		const state = JSON.stringify([view.status, view.progress]);
		if (state !== last) {
			last = state;
			send("progress", { id: view.id, status: view.status, progress: view.progress });
		}
		if (ACTIVE_JOB_STATUSES.includes(view.status)) return false;
		send("done", view);
		return true;
	};
}
