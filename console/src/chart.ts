import { svg } from "./dom.ts";
import { formatScore, formatUsd } from "./format.ts";
import { plotTrials, type TrialPoint } from "./pareto.ts";

const AREA = { width: 640, height: 360, margin: { top: 16, right: 20, bottom: 48, left: 64 } };

/** Score against cost, one dot per finished trial, the Pareto front drawn through the best trade-offs. */
export function paretoChart(points: TrialPoint[], metric: string): SVGElement {
	const plot = plotTrials(points, AREA);
	const onFront = plot.dots.filter(d => d.onFront).length;
	const { width, height, margin } = AREA;
	return svg(
		"svg",
		{ viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-labelledby": "chart-title chart-desc" },
		svg("title", { id: "chart-title" }, `${metric} against cost`),
		svg("desc", { id: "chart-desc" }, `${plot.dots.length} trials; ${onFront} on the Pareto front`),
		plot.xTicks.map(t => [
			svg("line", { x1: t.x, x2: t.x, y1: margin.top, y2: height - margin.bottom, class: "grid" }),
			svg("text", { x: t.x, y: height - margin.bottom + 18, "text-anchor": "middle", class: "tick" }, formatUsd(t.value)),
		]),
		plot.yTicks.map(t => [
			svg("line", { x1: margin.left, x2: width - margin.right, y1: t.y, y2: t.y, class: "grid" }),
			svg("text", { x: margin.left - 8, y: t.y + 4, "text-anchor": "end", class: "tick" }, formatScore(t.value)),
		]),
		svg("text", { x: (margin.left + width - margin.right) / 2, y: height - 8, "text-anchor": "middle", class: "axis-label" }, "cost (USD)"),
		svg("text", { x: 16, y: (margin.top + height - margin.bottom) / 2, "text-anchor": "middle", transform: `rotate(-90 16 ${(margin.top + height - margin.bottom) / 2})`, class: "axis-label" }, metric),
		plot.frontPath ? svg("path", { d: plot.frontPath, class: "front" }) : null,
		plot.dots.map(d =>
			svg(
				"circle",
				{ cx: d.x, cy: d.y, r: d.onFront ? 6 : 4, class: d.onFront ? "dot on-front" : "dot" },
				svg("title", {}, `trial ${d.point.number}: ${metric} ${formatScore(d.point.score)}, ${formatUsd(d.point.cost)}${d.onFront ? " (Pareto front)" : ""}`)
			)
		)
	);
}
