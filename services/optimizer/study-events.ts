import type { StudyRow, TrialRow } from "./models.ts";
import { ACTIVE_JOB_STATUSES } from "../../shared/jobs/index.ts";
import { studyView, trialView } from "./views.ts";

export interface StudySnapshot {
	study: StudyRow;
	trials: TrialRow[];
}

/**
 * What a study's server-sent events say (for shared/jobs' jobEventStream): each finished trial once,
 * in order (`trial`; those already finished first), `progress` when status, progress or spend
 * change, and `done` with the whole study when it has ended, which ends the stream.
 */
export function studyEventRenderer(): (snapshot: StudySnapshot, send: (event: string, data: unknown) => void) => boolean {
	const sentTrials = new Set<number>();
	let lastProgress = "";
	return ({ study, trials }, send) => {
		for (const trial of trials) {
			if (trial.status === "running" || sentTrials.has(trial.number)) continue;
			sentTrials.add(trial.number);
			send("trial", { studyId: study.id, ...trialView(trial) });
		}
		const progress = { id: study.id, status: study.status, progress: study.progress, spentUsd: study.spentUsd };
		if (JSON.stringify(progress) !== lastProgress) {
			lastProgress = JSON.stringify(progress);
			send("progress", progress);
		}
		if (ACTIVE_JOB_STATUSES.includes(study.status)) return false;
		send("done", studyView(study, trials));
		return true;
	};
}
