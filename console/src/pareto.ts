/** A finished trial as the chart sees it: what it cost and how well it scored. */
export interface TrialPoint {
	cost: number;
	score: number;
	/** The trial's number in its study, to label the dot. */
	number: number;
}

/**
 * The trials no other trial beats on both axes (cheaper or equal AND better or equal, one strictly),
 * ordered from cheapest to dearest. Equal points count once.
 */
export function paretoFront<T extends TrialPoint>(points: readonly T[]): T[] {
	const sorted = [...points].filter(p => Number.isFinite(p.cost) && Number.isFinite(p.score)).sort((a, b) => a.cost - b.cost || b.score - a.score);
	const front: T[] = [];
	for (const point of sorted) {
		const last = front.at(-1);
		if (!last || point.score > last.score) front.push(point);
	}
	return front;
}

export interface PlotArea {
	width: number;
	height: number;
	/** Room kept for the axes' labels. */
	margin: { top: number; right: number; bottom: number; left: number };
}

export interface PlottedPoint<T> {
	point: T;
	x: number;
	y: number;
	onFront: boolean;
}

export interface Plot<T> {
	dots: PlottedPoint<T>[];
	/** SVG path of the front as a staircase: a cheaper point holds until a better one costs more. */
	frontPath: string;
	xTicks: { value: number; x: number }[];
	yTicks: { value: number; y: number }[];
}

/** Evenly spaced values covering [min, max]; a flat range is widened so it still has an extent. */
export function ticks(min: number, max: number, count: number): number[] {
	const [lo, hi] = min === max ? [min - (Math.abs(min) || 1) / 2, max + (Math.abs(max) || 1) / 2] : [min, max];
	return Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
}

function scale(domain: number[], from: number, to: number): (v: number) => number {
	const lo = domain[0];
	const hi = domain[domain.length - 1];
	return v => from + ((v - lo) / (hi - lo)) * (to - from);
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Where each trial goes on a cost (x) against score (y) chart, and the front through them. */
export function plotTrials<T extends TrialPoint>(points: readonly T[], area: PlotArea): Plot<T> {
	const finite = points.filter(p => Number.isFinite(p.cost) && Number.isFinite(p.score));
	// Axes start at zero and end a little past the largest value, so no dot sits on the frame.
	const headroom = (max: number) => (max > 0 ? max * 1.08 : max);
	const xDomain = ticks(Math.min(0, ...finite.map(p => p.cost)), headroom(Math.max(0, ...finite.map(p => p.cost))), 5);
	const yDomain = ticks(Math.min(0, ...finite.map(p => p.score)), headroom(Math.max(0, ...finite.map(p => p.score))), 5);
	const { width, height, margin } = area;
	const x = scale(xDomain, margin.left, width - margin.right);
	const y = scale(yDomain, height - margin.bottom, margin.top);
	const front = new Set<T>(paretoFront(finite));
	const dots = finite.map(point => ({ point, x: round(x(point.cost)), y: round(y(point.score)), onFront: front.has(point) }));
	const steps = dots.filter(d => d.onFront).sort((a, b) => a.x - b.x);
	const frontPath = steps.map((d, i) => (i === 0 ? `M${d.x},${d.y}` : `H${d.x}V${d.y}`)).join("");
	return {
		dots,
		frontPath,
		xTicks: xDomain.map(value => ({ value, x: round(x(value)) })),
		yTicks: yDomain.map(value => ({ value, y: round(y(value)) })),
	};
}
