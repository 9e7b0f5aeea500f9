/** How the console writes numbers people compare: money, time, sizes. */

export function formatUsd(value: number | null | undefined): string {
	if (typeof value !== "number" || !Number.isFinite(value)) return "–";
	if (value === 0) return "$0";
	// LLM calls cost fractions of a cent: keep two significant digits so they stay comparable.
	if (Math.abs(value) < 0.01) return `$${value.toPrecision(2)}`;
	return `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

export function formatMs(value: number | null | undefined): string {
	if (typeof value !== "number" || !Number.isFinite(value)) return "–";
	return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

export function formatBytes(value: number): string {
	if (value < 1024) return `${value} B`;
	const units = ["KiB", "MiB", "GiB"];
	let n = value / 1024;
	let unit = 0;
	while (n >= 1024 && unit < units.length - 1) {
		n /= 1024;
		unit++;
	}
	return `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatScore(value: number | null | undefined): string {
	return typeof value === "number" && Number.isFinite(value) ? value.toFixed(3) : "–";
}
