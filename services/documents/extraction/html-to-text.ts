import type { HtmlToTextOptions } from "html-to-text";

/**
 * HTML to readable text: no scripts, styles or other non-content, headings as Markdown `#`
 * lines (so the chunker sees sections in HTML and DOCX alike), tables kept as columns, links as
 * their text only.
 */
export async function htmlToText(html: string): Promise<string> {
	const { convert } = await import("html-to-text");
	const headings = [1, 2, 3, 4, 5, 6].map(level => ({ selector: `h${level}`, format: "markdownHeading", options: { level } }));
	const options: HtmlToTextOptions = {
		wordwrap: false,
		limits: { maxInputLength: 64 * 1024 * 1024, maxDepth: 512 },
		formatters: {
			markdownHeading(elem, walk, builder, formatOptions) {
				builder.openBlock({ leadingLineBreaks: 2 });
				builder.addInline("#".repeat((formatOptions as { level: number }).level) + " ");
				walk(elem.children, builder);
				builder.closeBlock({ trailingLineBreaks: 2 });
			},
		},
		selectors: [
			...headings,
			{ selector: "a", options: { ignoreHref: true } },
			{ selector: "img", format: "skip" },
			{ selector: "script", format: "skip" },
			{ selector: "style", format: "skip" },
			{ selector: "noscript", format: "skip" },
			{ selector: "template", format: "skip" },
			{ selector: "svg", format: "skip" },
			{ selector: "iframe", format: "skip" },
			{ selector: "object", format: "skip" },
			{ selector: "head", format: "skip" },
			{ selector: "table", format: "dataTable" },
		],
	};
	return convert(html, options);
}
