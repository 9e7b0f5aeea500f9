import { badge, h, formValues } from "../dom.ts";
import { api } from "../api.ts";
import { loadProviders } from "./providers.ts";
import type { DocumentItem } from "./documents.ts";
import type { View } from "../view.ts";

/** Quality metrics that need only a reference answer, which is what the form asks for. */
const QUALITY_METRICS = ["rougeL", "rouge1", "rouge2", "bleu", "levenshtein", "exactMatch"];

interface StudySummary {
	id: string;
	name?: string;
	status: string;
	createdAt?: string;
}

interface Profile {
	name: string;
	[key: string]: unknown;
}

function numberField(name: string, label: string, value: number, attrs: Record<string, string | number> = {}): Node[] {
	return [h("label", { for: name }, label), h("input", { id: name, name, type: "number", value, required: true, ...attrs })];
}

/** The study definition of the DESIGN contract, from the form. */
export function studyFromForm(values: Record<string, string>): Record<string, unknown> {
	const models = Object.keys(values).filter(k => k.startsWith("model:")).map(k => k.slice("model:".length));
	const example: Record<string, string> = { reference: values.reference };
	if (values.documentId) example.documentId = values.documentId;
	else example.input = values.input;
	return {
		name: values.name,
		task: { type: values.task },
		dataset: [example],
		space: {
			model: models,
			temperature: { min: Number(values.temperatureMin), max: Number(values.temperatureMax) },
			sentences: { min: Number(values.sentencesMin), max: Number(values.sentencesMax), int: true },
		},
		objectives: [
			{ metric: values.metric, direction: "maximize" },
			{ metric: "costUsd", direction: "minimize" },
		],
		sampler: values.sampler,
		budget: { maxTrials: Number(values.maxTrials), maxCostUsd: Number(values.maxCostUsd) },
		seed: Number(values.seed),
	};
}

async function studyForm(signal: AbortSignal): Promise<HTMLFormElement> {
	const [providers, documents] = await Promise.all([
		loadProviders(signal).catch(() => []),
		api<{ items: DocumentItem[] }>("GET", "/api/v1/documents?limit=100&offset=0", undefined, signal).then(r => r.items.filter(d => d.status === "ready")).catch(() => []),
	]);
	const models = providers.filter(p => p.configured).flatMap(p => p.models.map(m => `${p.name}:${m}`));
	const error = h("p", { role: "alert", class: "error" });
	const form = h(
		"form",
		{ class: "card", id: "study-form" },
		h("label", { for: "study-name" }, "Name"),
		h("input", { id: "study-name", name: "name", value: "summaries", required: true, maxlength: 60 }),
		h("label", { for: "study-task" }, "Task"),
		h("select", { id: "study-task", name: "task" }, h("option", { value: "summary" }, "summary"), h("option", { value: "keywords" }, "keywords")),
		h("label", { for: "study-document" }, "Document to learn from"),
		h("select", { id: "study-document", name: "documentId" }, h("option", { value: "" }, "(use the text below)"), documents.map(d => h("option", { value: d.id }, d.filename))),
		h("label", { for: "study-input" }, "Text (when no document is chosen)"),
		h("textarea", { id: "study-input", name: "input", rows: 4 }),
		h("label", { for: "study-reference" }, "Reference answer (what a good result looks like)"),
		h("textarea", { id: "study-reference", name: "reference", rows: 3, required: true }),
		h(
			"fieldset",
			{},
			h("legend", {}, "Models to try"),
			models.length === 0 ? h("p", { class: "hint" }, "No configured provider lists models.") : null,
			models.map(m => h("label", { class: "check" }, h("input", { type: "checkbox", name: `model:${m}`, checked: m.startsWith("local:") }), ` ${m}`))
		),
		h(
			"fieldset",
			{ class: "grid-2" },
			h("legend", {}, "Search space"),
			numberField("temperatureMin", "Temperature from", 0, { min: 0, max: 2, step: 0.1 }),
			numberField("temperatureMax", "Temperature to", 1, { min: 0, max: 2, step: 0.1 }),
			numberField("sentencesMin", "Summary sentences from", 1, { min: 1, max: 20 }),
			numberField("sentencesMax", "Summary sentences to", 5, { min: 1, max: 20 })
		),
		h(
			"fieldset",
			{ class: "grid-2" },
			h("legend", {}, "Objective and budget"),
			h("label", { for: "study-metric" }, "Quality metric (maximised; cost is minimised)"),
			h("select", { id: "study-metric", name: "metric" }, QUALITY_METRICS.map(m => h("option", { value: m }, m))),
			h("label", { for: "study-sampler" }, "Sampler"),
			h("select", { id: "study-sampler", name: "sampler" }, ["tpe", "random", "grid"].map(s => h("option", { value: s }, s))),
			numberField("maxTrials", "Trials at most", 8, { min: 1, max: 200 }),
			numberField("maxCostUsd", "Spend at most (USD)", 0.5, { min: 0, step: 0.01 }),
			numberField("seed", "Seed", 7, { min: 0 })
		),
		error,
		h("button", { type: "submit" }, "Start study")
	);
	form.addEventListener("submit", async event => {
		event.preventDefault();
		error.textContent = "";
		try {
			const created = await api<{ id: string }>("POST", "/api/v1/optimizer/studies", studyFromForm(formValues(form)));
			location.hash = `#/optimizer/${encodeURIComponent(created.id)}`;
		} catch (err) {
			error.textContent = (err as Error).message;
		}
	});
	return form;
}

export function optimizerView(): View {
	return {
		title: "Optimizer",
		async render(signal) {
			// Listing studies is not in the contract's core routes: show the list only when the server has one.
			const [studies, profiles] = await Promise.all([
				api<StudySummary[] | { items: StudySummary[] }>("GET", "/api/v1/optimizer/studies", undefined, signal).then(r => (Array.isArray(r) ? r : r.items)).catch(() => undefined),
				api<Profile[] | { items: Profile[] }>("GET", "/api/v1/profiles", undefined, signal).then(r => (Array.isArray(r) ? r : r.items)).catch(() => []),
			]);
			return h(
				"section",
				{},
				h("h1", { tabindex: -1 }, "Optimizer"),
				h("p", { class: "hint" }, "Find the model and settings that give the best results for the least money, then save them as a profile that analyses can use."),
				h("h2", {}, "New study"),
				await studyForm(signal),
				studies
					? [h("h2", {}, "Studies"), h("ul", { class: "study-list" }, studies.map(s => h("li", {}, h("a", { href: `#/optimizer/${encodeURIComponent(s.id)}` }, s.name ?? s.id), " ", badge(s.status))))]
					: null,
				h("h2", {}, "Profiles"),
				profiles.length === 0 ? h("p", { class: "hint", id: "profiles" }, "No profiles saved yet.") : h("ul", { id: "profiles" }, profiles.map(p => h("li", {}, p.name)))
			);
		},
	};
}
