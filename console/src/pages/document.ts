import { badge, h, show, formValues } from "../dom.ts";
import { api } from "../api.ts";
import { formatBytes, formatMs, formatUsd } from "../format.ts";
import { liveRefresh } from "../event-stream.ts";
import { analysisData, errorMessage, type ProviderResult } from "../analysis-result.ts";
import { loadProviders } from "./providers.ts";
import type { DocumentItem } from "./documents.ts";
import type { View } from "../view.ts";

interface Analysis {
	id: string;
	documentId: string;
	status: string;
	results?: ProviderResult[];
	consensus?: Consensus | null;
	costUsd?: number;
	cached?: boolean;
	error?: string | { message?: string } | null;
	progress?: { done: number; total: number };
	createdAt: string;
}

/** Where the providers agree; the summary is the one closest to all the others. */
interface Consensus {
	providers?: string[];
	summary?: string | { text: string; provider: string };
	sentiment?: { label: string; score?: number };
	agreement?: number;
}

/** A list entry carries the providers asked, not their results. */
interface AnalysisListItem extends Analysis {
	providers?: { provider: string; model: string; error?: string | null }[];
}

interface DocumentText {
	text: string;
	stats?: { pages: number | null; words: number; characters: number; language: string | null };
}

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const TASKS = ["summary", "entities", "sentiment", "keywords", "topics"];
const DEFAULT_TASKS = new Set(["summary", "entities", "sentiment"]);

/** `fromStore`: the whole analysis was answered from a stored one, so every result is a cached one. */
function resultCard(result: ProviderResult, fromStore: boolean): HTMLElement {
	const data = analysisData(result);
	const failure = errorMessage(result.error);
	return h(
		"article",
		{ class: "result card", "data-provider": result.provider, "aria-label": `${result.provider} result` },
		h("h3", {}, result.provider, h("span", { class: "model" }, result.model)),
		h(
			"p",
			{ class: "badges" },
			failure ? badge("failed") : badge("succeeded"),
			result.cached || fromStore ? [" ", badge("cached")] : null
		),
		failure ? h("p", { class: "error", role: "note" }, failure) : null,
		data.summary ? [h("h4", {}, "Summary"), h("p", { class: "summary" }, data.summary)] : null,
		data.sentiment ? [h("h4", {}, "Sentiment"), h("p", { class: "sentiment" }, badge(data.sentiment.label, `sentiment-${data.sentiment.label}`), typeof data.sentiment.score === "number" ? ` ${data.sentiment.score.toFixed(2)}` : "")] : null,
		data.entities?.length
			? [h("h4", {}, "Entities"), h("ul", { class: "entities" }, data.entities.map(e => h("li", {}, h("span", { class: "entity-type" }, e.type), " ", e.text)))]
			: null,
		data.keywords?.length ? [h("h4", {}, "Keywords"), h("p", { class: "keywords" }, data.keywords.join(", "))] : null,
		data.topics?.length ? [h("h4", {}, "Topics"), h("p", {}, data.topics.join(", "))] : null,
		h(
			"dl",
			{ class: "figures" },
			h("dt", {}, "Cost"),
			h("dd", { class: "cost" }, formatUsd(result.costUsd)),
			h("dt", {}, "Latency"),
			h("dd", { class: "latency" }, formatMs(result.latencyMs)),
			result.usage ? [h("dt", {}, "Tokens"), h("dd", {}, `${result.usage.inputTokens} in / ${result.usage.outputTokens} out`)] : null
		)
	);
}

function analysisPanel(analysis: Analysis): Node {
	const results = analysis.results ?? [];
	const failure = errorMessage(analysis.error as ProviderResult["error"]);
	return h(
		"section",
		{ class: "analysis", "data-analysis-id": analysis.id, "data-status": analysis.status, "aria-labelledby": "analysis-title" },
		h("h2", { id: "analysis-title" }, "Analysis ", badge(analysis.status), analysis.cached ? [" ", badge("cached")] : null),
		h(
			"p",
			{ class: "hint" },
			analysis.progress && !FINISHED.has(analysis.status) ? `${analysis.progress.done} of ${analysis.progress.total} parts done. ` : "",
			`${results.length} provider result${results.length === 1 ? "" : "s"}, total cost ${formatUsd(analysis.costUsd)}.`
		),
		failure ? h("p", { class: "error", role: "alert" }, failure) : null,
		analysis.consensus ? consensusCard(analysis.consensus) : null,
		h("div", { class: "results" }, results.map(r => resultCard(r, analysis.cached === true)))
	);
}

function consensusCard(consensus: Consensus): Node | null {
	const summary = typeof consensus.summary === "string" ? consensus.summary : consensus.summary?.text;
	const from = typeof consensus.summary === "object" ? consensus.summary.provider : undefined;
	if (!summary && !consensus.sentiment) return null;
	return h(
		"section",
		{ class: "card consensus", "aria-label": "Consensus" },
		h("h3", {}, "Consensus", typeof consensus.agreement === "number" ? h("span", { class: "hint" }, ` · agreement ${Math.round(consensus.agreement * 100)}%`) : null),
		summary ? h("p", {}, summary, from ? h("span", { class: "hint" }, ` (${from})`) : null) : null,
		consensus.sentiment ? h("p", {}, "Sentiment ", badge(consensus.sentiment.label, `sentiment-${consensus.sentiment.label}`)) : null
	);
}

async function analysisForm(documentId: string, signal: AbortSignal): Promise<HTMLFormElement> {
	const providers = (await loadProviders(signal).catch(() => [])).filter(p => p.configured);
	const error = h("p", { role: "alert", class: "error" });
	const form = h(
		"form",
		{ class: "card", id: "analysis-form" },
		h(
			"fieldset",
			{},
			h("legend", {}, "Providers"),
			providers.length === 0 ? h("p", { class: "hint" }, "No provider is configured; the server picks its default.") : null,
			providers.map(p => h("label", { class: "check" }, h("input", { type: "checkbox", name: `provider:${p.name}`, checked: true }), ` ${p.name}`))
		),
		h(
			"fieldset",
			{},
			h("legend", {}, "Tasks"),
			TASKS.map(task => h("label", { class: "check" }, h("input", { type: "checkbox", name: `task:${task}`, checked: DEFAULT_TASKS.has(task) }), ` ${task}`))
		),
		error,
		h("button", { type: "submit" }, "Analyse")
	);
	form.addEventListener("submit", async event => {
		event.preventDefault();
		error.textContent = "";
		const values = formValues(form);
		const chosen = (prefix: string) => Object.keys(values).filter(k => k.startsWith(prefix)).map(k => k.slice(prefix.length));
		const selectedProviders = chosen("provider:");
		try {
			const created = await api<{ id: string }>("POST", `/api/v1/documents/${encodeURIComponent(documentId)}/analyses`, {
				...(selectedProviders.length ? { providers: selectedProviders } : {}),
				tasks: chosen("task:"),
				...(selectedProviders.length > 1 ? { strategy: "parallel" } : {}),
			});
			location.hash = `#/documents/${encodeURIComponent(documentId)}/analyses/${encodeURIComponent(created.id)}`;
		} catch (err) {
			error.textContent = (err as Error).message;
		}
	});
	return form;
}

function analysisList(documentId: string, analyses: AnalysisListItem[], selected?: string): Node {
	if (analyses.length === 0) return h("p", { class: "hint" }, "No analyses yet.");
	return h(
		"ul",
		{ class: "analysis-list" },
		analyses.map(a =>
			h(
				"li",
				{ "data-analysis-id": a.id },
				h(
					"a",
					{ href: `#/documents/${encodeURIComponent(documentId)}/analyses/${encodeURIComponent(a.id)}`, "aria-current": a.id === selected ? "true" : null },
					new Date(a.createdAt).toLocaleString()
				),
				" ",
				badge(a.status),
				` ${(a.providers ?? a.results ?? []).map(r => r.provider).join(", ")}`
			)
		)
	);
}

export function documentView(documentId: string, analysisId?: string): View {
	const base = `/api/v1/documents/${encodeURIComponent(documentId)}`;
	return {
		title: "Document",
		async render(signal) {
			const [doc, analyses] = await Promise.all([
				api<DocumentItem>("GET", base, undefined, signal),
				api<AnalysisListItem[] | { items: AnalysisListItem[] }>("GET", `${base}/analyses`, undefined, signal).then(r => (Array.isArray(r) ? r : r.items)),
			]);
			const textPanel = h("div", { class: "document-text", id: "document-text" }, h("p", { class: "hint" }, doc.status === "ready" ? "Loading the text…" : `The text is not ready (${doc.status}).`));
			if (doc.status === "ready") {
				api<DocumentText>("GET", `${base}/text`, undefined, signal)
					.then(text =>
						show(
							textPanel,
							text.stats ? h("p", { class: "hint" }, `${text.stats.words} words${text.stats.pages ? `, ${text.stats.pages} pages` : ""}${text.stats.language ? `, language ${text.stats.language}` : ""}`) : null,
							h("pre", { tabindex: 0, "aria-label": "Document text" }, text.text)
						)
					)
					.catch(err => show(textPanel, h("p", { class: "error" }, (err as Error).message)));
			}
			const selected = analysisId ?? analyses[0]?.id;
			const panel = h("div", { id: "analysis-panel", "aria-live": "polite" });
			if (selected) {
				void liveRefresh(
					`/api/v1/analyses/${encodeURIComponent(selected)}/events`,
					async () => {
						const analysis = await api<Analysis>("GET", `/api/v1/analyses/${encodeURIComponent(selected)}`, undefined, signal);
						if (signal.aborted) return true;
						show(panel, analysisPanel(analysis));
						// The list was read when the page opened; keep this analysis' entry in step.
						panel.ownerDocument.querySelector(`.analysis-list [data-analysis-id="${CSS.escape(selected)}"] .badge`)?.replaceWith(badge(analysis.status));
						return FINISHED.has(analysis.status);
					},
					signal
				);
			}
			return h(
				"section",
				{},
				h("h1", { tabindex: -1 }, doc.filename, " ", badge(doc.status)),
				h("p", { class: "hint" }, `${doc.mimeType}, ${formatBytes(doc.size)}, uploaded ${new Date(doc.createdAt).toLocaleString()}`),
				h(
					"div",
					{ class: "split" },
					h("section", { class: "card", "aria-label": "Text" }, h("h2", {}, "Text"), textPanel),
					h(
						"section",
						{ "aria-label": "Analyses" },
						h("h2", {}, "Analyse"),
						await analysisForm(documentId, signal),
						h("h2", {}, "Analyses"),
						analysisList(documentId, analyses, selected)
					)
				),
				panel
			);
		},
	};
}
