/**
 * A tiny element builder. Text always goes in as text nodes, never as HTML, so document text and
 * model output (which anyone can control) cannot inject markup or scripts.
 */
export type Child = Node | string | number | null | undefined | false | Child[];

type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

function append(parent: Node, child: Child): void {
	if (child === null || child === undefined || child === false) return;
	if (Array.isArray(child)) child.forEach(c => append(parent, c));
	else parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
}

function applyAttributes(element: Element, attrs: Attributes): void {
	for (const [name, value] of Object.entries(attrs)) {
		if (value === null || value === undefined || value === false) continue;
		if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
		else element.setAttribute(name, value === true ? "" : String(value));
	}
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
	const element = document.createElement(tag);
	applyAttributes(element, attrs);
	append(element, children);
	return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag: string, attrs: Attributes = {}, ...children: Child[]): SVGElement {
	const element = document.createElementNS(SVG_NS, tag) as SVGElement;
	applyAttributes(element, attrs);
	append(element, children);
	return element;
}

/** Replaces what an element shows. */
export function show(parent: Element, ...children: Child[]): void {
	parent.replaceChildren();
	append(parent, children);
}

/** A status word as a coloured badge; the colour is a hint, the word says it. */
export function badge(text: string, kind = text): HTMLSpanElement {
	return h("span", { class: `badge badge-${kind.replace(/[^a-z-]/gi, "")}` }, text);
}

/** A form's fields by name, as strings. */
export function formValues(form: HTMLFormElement): Record<string, string> {
	const values: Record<string, string> = {};
	new FormData(form).forEach((value, key) => {
		if (typeof value === "string") values[key] = value;
	});
	return values;
}
