import { badge, h } from "../dom.ts";
import { api } from "../api.ts";
import type { View } from "../view.ts";

export interface ProviderInfo {
	name: string;
	configured: boolean;
	models: string[];
	circuit?: string | { state?: string };
}

export function circuitState(provider: ProviderInfo): string {
	const circuit = provider.circuit;
	return (typeof circuit === "string" ? circuit : circuit?.state) ?? "closed";
}

export function loadProviders(signal?: AbortSignal): Promise<ProviderInfo[]> {
	return api<ProviderInfo[] | { items: ProviderInfo[] }>("GET", "/api/v1/llm/providers", undefined, signal).then(r => (Array.isArray(r) ? r : r.items));
}

export function providersView(): View {
	return {
		title: "Providers",
		async render(signal) {
			const providers = await loadProviders(signal);
			return h(
				"section",
				{},
				h("h1", { tabindex: -1 }, "Providers"),
				h("p", { class: "hint" }, "A provider is configured when its API key or base URL is set. An open circuit means recent calls failed, so calls skip it until it recovers."),
				h(
					"div",
					{ class: "table-scroll card" },
					h(
						"table",
						{ class: "providers" },
						h("caption", {}, `${providers.filter(p => p.configured).length} of ${providers.length} configured`),
						h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Provider"), h("th", { scope: "col" }, "Configured"), h("th", { scope: "col" }, "Circuit"), h("th", { scope: "col" }, "Models"))),
						h(
							"tbody",
							{},
							providers.map(p =>
								h(
									"tr",
									{ "data-provider": p.name },
									h("th", { scope: "row" }, p.name),
									h("td", {}, p.configured ? badge("configured", "ok") : badge("not configured", "muted")),
									h("td", {}, badge(circuitState(p), circuitState(p) === "closed" ? "ok" : "warn")),
									h("td", {}, p.models.join(", ") || "–")
								)
							)
						)
					)
				)
			);
		},
	};
}
