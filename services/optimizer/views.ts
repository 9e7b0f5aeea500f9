import type { ProfileRow, StudyRow, TrialRow } from "./models.ts";
import { bestEntry, paretoFront, type Scores } from "./objectives.ts";
import type { Configuration } from "./search-space.ts";

export interface TrialView {
	number: number;
	params: Configuration;
	scores: Scores | null;
	status: TrialRow["status"];
	costUsd: number;
	calls: number;
	cachedCalls: number;
	error: string | null;
	finishedAt: string | null;
}

export interface ParetoEntry {
	trial: number;
	params: Configuration;
	scores: Scores;
}

export interface StudyView {
	id: string;
	name: string;
	status: StudyRow["status"];
	progress: { done: number; total: number };
	best: ParetoEntry | null;
	pareto: ParetoEntry[];
	spentUsd: number;
	calls: number;
	stopReason: string | null;
	error: string | null;
	/** While queued after an outage: what it waits for ("llm.complete is not reachable"); else null. */
	waitingFor: string | null;
	sampler: string;
	seed: number;
	objectives: { name: string; metric: string; direction: string; weight: number }[];
	createdAt: string;
	startedAt: string | null;
	finishedAt: string | null;
}

export interface ProfileView {
	name: string;
	providers: string[];
	strategy: string;
	params: Record<string, string | number>;
	studyId: string | null;
	scores: Scores | null;
	createdAt: string;
	updatedAt: string;
}

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

export function trialView(trial: TrialRow): TrialView {
	return {
		number: trial.number,
		params: trial.params,
		scores: trial.scores,
		status: trial.status,
		costUsd: trial.costUsd,
		calls: trial.calls,
		cachedCalls: trial.cachedCalls,
		error: trial.error,
		finishedAt: iso(trial.finishedAt),
	};
}

/** Trials that completed every example: the only ones best and the Pareto front choose from. */
function completeTrials(trials: TrialRow[]): ParetoEntry[] {
	return trials.filter(t => t.status === "succeeded" && t.scores).map(t => ({ trial: t.number, params: t.params, scores: t.scores! }));
}

/** The Pareto front of the study's completed trials (one objective: the trials tied for best). */
export function studyPareto(study: StudyRow, trials: TrialRow[]): ParetoEntry[] {
	return paretoFront(completeTrials(trials), study.definition.objectives);
}

/** The completed trial with the lowest weighted loss: always on the Pareto front. */
export function studyBest(study: StudyRow, trials: TrialRow[]): ParetoEntry | undefined {
	return bestEntry(completeTrials(trials), study.definition.objectives);
}

export function studyView(study: StudyRow, trials: TrialRow[]): StudyView {
	const definition = study.definition;
	return {
		id: study.id,
		name: study.name,
		status: study.status,
		progress: study.progress ?? { done: 0, total: 0 },
		best: studyBest(study, trials) ?? null,
		pareto: studyPareto(study, trials),
		spentUsd: study.spentUsd,
		calls: study.calls,
		stopReason: study.stopReason,
		error: study.status === "failed" ? study.lastError : null,
		waitingFor: study.status === "queued" ? (study.waitingFor ?? null) : null,
		sampler: definition.sampler,
		seed: definition.seed,
		objectives: definition.objectives.map(o => ({ name: o.name, metric: o.metric, direction: o.direction, weight: o.weight })),
		createdAt: iso(study.createdAt)!,
		startedAt: iso(study.firstStartedAt),
		finishedAt: iso(study.finishedAt),
	};
}

export function profileView(profile: ProfileRow): ProfileView {
	return {
		name: profile.name,
		providers: profile.providers,
		strategy: profile.strategy,
		params: profile.params,
		studyId: profile.studyId,
		scores: profile.scores,
		createdAt: iso(profile.createdAt)!,
		updatedAt: iso(profile.updatedAt)!,
	};
}
