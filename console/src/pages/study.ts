import { badge, h, show, formValues } from "../dom.ts";
import { api } from "../api.ts";
import { liveRefresh } from "../event-stream.ts";
import { formatScore, formatUsd } from "../format.ts";
import { paretoChart } from "../chart.ts";
import type { TrialPoint } from "../pareto.ts";
import type { View } from "../view.ts";

interface Scored {
	params: Record<string, unknown>;
	scores: Record<string, number>;
}

interface Study {
	id: string;
	name?: string;
	status: string;
	progress?: { done: number; total: number };
	best?: Scored | null;
	pareto?: Scored[];
	spentUsd?: number;
	objectives?: { metric: string; name?: string; direction: string }[];
	error?: string | { message?: string } | null;
}

interface Trial {
	number?: number;
	params: Record<string, unknown>;
	/** null while running or when the trial failed. */
	scores: Record<string, number> | null;
	status: string;
	costUsd?: number;
	error?: string | null;
}

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
/** Score keys that are not a quality measure. */
const NOT_QUALITY = new Set(["costUsd", "latencyMs"]);

/** The quality score to plot: the study's first maximised objective, else the first quality key a trial has. */
export function qualityMetric(study: Study, trials: Trial[]): string | undefined {
	const objective = study.objectives?.find(o => o.direction === "maximize");
	if (objective) return objective.name ?? objective.metric;
	return trials.flatMap(t => Object.keys(t.scores ?? {})).find(k => !NOT_QUALITY.has(k));
}

function describeParams(params: Record<string, unknown>): string {
	return Object.entries(params)
		.map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`)
		.join(", ");
}

function trialsTable(trials: Trial[], metric: string | undefined): Node {
	if (trials.length === 0) return h("p", { class: "hint" }, "No trial has finished yet.");
	return h(
		"div",
		{ class: "table-scroll" },
		h(
			"table",
			{ class: "trials" },
			h("caption", {}, `${trials.length} trial${trials.length === 1 ? "" : "s"}`),
			h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "#"), h("th", { scope: "col" }, "Parameters"), h("th", { scope: "col" }, metric ?? "score"), h("th", { scope: "col" }, "Cost"), h("th", { scope: "col" }, "Status"))),
			h(
				"tbody",
				{},
				trials.map((t, i) =>
					h(
						"tr",
						{},
						h("td", {}, t.number ?? i + 1),
						h("td", {}, describeParams(t.params ?? {})),
						h("td", {}, formatScore(metric ? t.scores?.[metric] : undefined)),
						h("td", {}, formatUsd(t.costUsd ?? t.scores?.costUsd)),
						h("td", {}, badge(t.status), t.error ? h("span", { class: "hint" }, ` ${t.error}`) : null)
					)
				)
			)
		)
	);
}

function applyForm(studyId: string, done: boolean): HTMLFormElement {
	const status = h("p", { role: "status", id: "apply-status" });
	const form = h(
		"form",
		{ class: "card", id: "apply-form" },
		h("label", { for: "profile-name" }, "Save the best configuration as profile"),
		h("input", { id: "profile-name", name: "profile", required: true, maxlength: 64, pattern: "[A-Za-z0-9][\\w.\\-]{0,63}", "aria-describedby": "profile-hint" }),
		h("p", { id: "profile-hint", class: "hint" }, "Up to 64 letters, digits, dots, dashes and underscores, starting with a letter or digit. Analyses and completions accept it as `profile`."),
		status,
		h("button", { type: "submit", disabled: !done }, "Apply profile")
	);
	form.addEventListener("submit", async event => {
		event.preventDefault();
		const { profile } = formValues(form);
		status.classList.remove("error");
		try {
			await api("POST", `/api/v1/optimizer/studies/${encodeURIComponent(studyId)}/apply`, { profile });
			status.textContent = `Saved as profile ${profile}`;
		} catch (err) {
			status.textContent = (err as Error).message;
			status.classList.add("error");
		}
	});
	return form;
}

function studyBody(study: Study, trials: Trial[]): Node {
	const metric = qualityMetric(study, trials);
	const points: TrialPoint[] = metric
		? trials.map((t, i) => ({ number: t.number ?? i + 1, score: t.scores?.[metric], cost: t.costUsd ?? t.scores?.costUsd ?? 0 })).filter((p): p is TrialPoint => typeof p.score === "number")
		: [];
	const progress = study.progress;
	const failure = typeof study.error === "string" ? study.error : study.error?.message;
	return h(
		"div",
		{ "data-status": study.status },
		h("p", {}, badge(study.status), ` spent ${formatUsd(study.spentUsd)}`),
		progress ? h("p", {}, h("label", { for: "study-progress" }, `Trials: ${progress.done} of ${progress.total}`), " ", h("progress", { id: "study-progress", max: progress.total || 1, value: progress.done })) : null,
		failure ? h("p", { class: "error", role: "alert" }, failure) : null,
		study.best ? h("div", { class: "card best" }, h("h2", {}, "Best so far"), h("p", {}, describeParams(study.best.params)), h("p", { class: "hint" }, describeParams(study.best.scores))) : null,
		h("h2", {}, "Score against cost"),
		points.length > 0 && metric ? h("figure", { class: "card" }, paretoChart(points, metric), h("figcaption", { class: "hint" }, `Larger dots joined by the line are the Pareto front: no other trial is both cheaper and better. Server's front: ${study.pareto?.length ?? 0} configuration(s).`)) : h("p", { class: "hint" }, "The chart appears when trials finish."),
		h("h2", {}, "Trials"),
		trialsTable(trials, metric),
		applyForm(study.id, FINISHED.has(study.status) && study.status === "succeeded")
	);
}

export function studyView(studyId: string): View {
	const base = `/api/v1/optimizer/studies/${encodeURIComponent(studyId)}`;
	return {
		title: "Study",
		async render(signal) {
			const heading = h("h1", { tabindex: -1 }, "Study");
			const body = h("div", { id: "study", "aria-live": "polite" });
			const refresh = async () => {
				const [study, trials] = await Promise.all([
					api<Study>("GET", base, undefined, signal),
					api<{ items: Trial[] } | Trial[]>("GET", `${base}/trials`, undefined, signal).then(r => (Array.isArray(r) ? r : r.items)),
				]);
				if (signal.aborted) return true;
				heading.textContent = `Study ${study.name ?? study.id}`;
				// Keep what the user is typing in the profile form across live updates.
				const typed = body.querySelector<HTMLInputElement>("#profile-name")?.value;
				const hadFocus = document.activeElement?.id;
				show(body, studyBody(study, trials));
				const input = body.querySelector<HTMLInputElement>("#profile-name");
				if (input && typed) input.value = typed;
				if (hadFocus) body.querySelector<HTMLElement>(`#${hadFocus}`)?.focus();
				return FINISHED.has(study.status);
			};
			await refresh();
			void liveRefresh(`${base}/events`, refresh, signal);
			return h("section", {}, heading, body);
		},
	};
}
