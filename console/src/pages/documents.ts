import { badge, h, show } from "../dom.ts";
import { api, upload } from "../api.ts";
import { formatBytes } from "../format.ts";
import { sleep } from "../sleep.ts";
import type { View } from "../view.ts";

export interface DocumentItem {
	id: string;
	filename: string;
	mimeType: string;
	size: number;
	status: string;
	error?: string | null;
	createdAt: string;
}

/** Statuses after which a document no longer changes by itself. */
const SETTLED = new Set(["ready", "failed"]);
const LIST_POLL_MS = 1_500;

function documentTable(items: DocumentItem[], total: number): Node {
	if (items.length === 0) return h("p", { class: "empty" }, "No documents yet. Upload one above.");
	return h(
		"div",
		{ class: "table-scroll" },
		h(
			"table",
			{ class: "documents" },
			h("caption", {}, `${total} document${total === 1 ? "" : "s"}`),
			h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Size"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Uploaded"))),
			h(
				"tbody",
				{},
				items.map(doc =>
					h(
						"tr",
						{ "data-document-id": doc.id },
						h("td", {}, h("a", { href: `#/documents/${encodeURIComponent(doc.id)}` }, doc.filename)),
						h("td", {}, doc.mimeType),
						h("td", {}, formatBytes(doc.size)),
						h("td", {}, badge(doc.status), doc.error ? h("span", { class: "hint" }, ` ${doc.error}`) : null),
						h("td", {}, new Date(doc.createdAt).toLocaleString())
					)
				)
			)
		)
	);
}

function uploadZone(onUploaded: () => void): HTMLElement {
	const input = h("input", { id: "file-input", type: "file", class: "visually-hidden", "aria-describedby": "upload-hint" });
	const progress = h("progress", { id: "upload-progress", max: 100, value: 0, "aria-label": "Upload progress", hidden: true });
	const status = h("p", { role: "status", id: "upload-status", class: "hint" });
	const zone = h(
		"label",
		{ for: "file-input", class: "dropzone" },
		h("strong", {}, "Drop a file here"),
		" or press to choose one",
		h("span", { id: "upload-hint", class: "hint" }, "PDF, DOCX, HTML, Markdown, text, CSV or JSON")
	);

	const send = async (file: File) => {
		progress.hidden = false;
		progress.value = 0;
		status.textContent = `Uploading ${file.name}…`;
		try {
			const doc = await upload<DocumentItem>("/api/v1/documents", file, (sent, total) => {
				progress.value = Math.round((sent / total) * 100);
				status.textContent = `Uploading ${file.name}: ${progress.value}%`;
			});
			status.textContent = `Uploaded ${doc.filename}`;
			onUploaded();
		} catch (err) {
			status.textContent = `Upload failed: ${(err as Error).message}`;
			status.classList.add("error");
		} finally {
			input.value = "";
		}
	};

	input.addEventListener("change", () => {
		const file = input.files?.[0];
		if (file) void send(file);
	});
	zone.addEventListener("dragover", event => {
		event.preventDefault();
		zone.classList.add("dragging");
	});
	zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
	zone.addEventListener("drop", event => {
		event.preventDefault();
		zone.classList.remove("dragging");
		status.classList.remove("error");
		const file = event.dataTransfer?.files[0];
		if (file) void send(file);
	});
	return h("section", { class: "card", "aria-labelledby": "upload-title" }, h("h2", { id: "upload-title" }, "Upload"), input, zone, progress, status);
}

export function documentsView(): View {
	return {
		title: "Documents",
		async render(signal) {
			const list = h("div", { id: "document-list", "aria-live": "polite" });
			const load = async () => {
				const { items, total } = await api<{ items: DocumentItem[]; total: number }>("GET", "/api/v1/documents?limit=100&offset=0", undefined, signal);
				show(list, documentTable(items, total));
				return items.every(d => SETTLED.has(d.status));
			};
			// Extraction runs in the background: look again until every document has settled.
			const follow = async () => {
				try {
					while (!signal.aborted && !(await load())) await sleep(LIST_POLL_MS, signal);
				} catch {
					// the page was left, or the next visit shows the error
				}
			};
			await load();
			void follow();
			return h("section", {}, h("h1", { tabindex: -1 }, "Documents"), uploadZone(() => void follow()), h("section", { class: "card", "aria-label": "Your documents" }, list));
		},
	};
}
