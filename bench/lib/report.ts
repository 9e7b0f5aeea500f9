/** Figures from recorded samples, and the plain-text tables the benchmarks print. */
import os from "node:os";
import { CLIENT_TIMEOUT, NO_ANSWER, REFUSED, type Job, type Sample } from "./workload.ts";

export function percentile(values: number[], p: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const isError = (status: number) => status < 200 || status >= 400;

export interface KindFigures {
	kind: string;
	count: number;
	perSecond: number;
	p50: number;
	p99: number;
	errors: number;
}

/**
 * Count, rate, median and 99th percentile of the samples of each kind started within the window
 * [from, from + seconds), and of all requests together (whole jobs aside).
 */
export function figuresByKind(all: Sample[], from: number, seconds: number, overallLabel = "all requests"): KindFigures[] {
	const samples = all.filter(s => s.at >= from && s.at < from + seconds * 1000);
	const kinds = [...new Set(samples.map(s => s.kind))];
	const figures = (kind: string, of: Sample[]): KindFigures => ({
		kind,
		count: of.length,
		perSecond: of.length / seconds,
		p50: percentile(of.map(s => s.ms), 50),
		p99: percentile(of.map(s => s.ms), 99),
		errors: of.filter(s => isError(s.status)).length,
	});
	return [...kinds.map(kind => figures(kind, samples.filter(s => s.kind === kind))), figures(overallLabel, samples.filter(s => !s.endToEnd))];
}

export function statusName(status: number): string {
	if (status === NO_ANSWER) return "no answer";
	if (status === CLIENT_TIMEOUT) return "client timeout";
	if (status === REFUSED) return "refused";
	return String(status);
}

/** Every status seen, errors or not: "200 ×812, 503 ×3". */
export function statusCounts(samples: Sample[]): string {
	const counts = new Map<number, number>();
	for (const sample of samples) counts.set(sample.status, (counts.get(sample.status) ?? 0) + 1);
	if (counts.size === 0) return "none";
	return [...counts.entries()]
		.sort((a, b) => b[1] - a[1])
		.map(([status, count]) => `${statusName(status)} ×${count}`)
		.join(", ");
}

/** "503 ×12, 429 ×3", or "none". */
export function errorsByStatus(samples: Sample[]): string {
	const counts = new Map<number, number>();
	for (const sample of samples) if (isError(sample.status)) counts.set(sample.status, (counts.get(sample.status) ?? 0) + 1);
	if (counts.size === 0) return "none";
	return [...counts.entries()]
		.sort((a, b) => b[1] - a[1])
		.map(([status, count]) => `${statusName(status)} ×${count}`)
		.join(", ");
}

/** Prints rows as aligned columns; the first row is the header. */
/** "3 (upload extracting ×2, analysis HTTP 503 ×1)", or "0". */
export function describeJobs(jobs: Job[]): string {
	if (jobs.length === 0) return "0";
	const counts = new Map<string, number>();
	for (const job of jobs) {
		const key = `${job.type} ${job.lastSeen ?? "never read"}`;
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return `${jobs.length} (${[...counts].map(([key, n]) => `${key} ×${n}`).join(", ")})`;
}

export function printTable(rows: string[][]): void {
	const widths = rows[0].map((_, c) => Math.max(...rows.map(row => (row[c] ?? "").length)));
	const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("   ");
	console.log(line(rows[0]));
	console.log(widths.map(w => "-".repeat(w)).join("   "));
	for (const row of rows.slice(1)) console.log(line(row));
}

export function machineLine(): string {
	const cpus = os.cpus();
	return `node ${process.version}, ${cpus.length} cores (${cpus[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, load average ${os.loadavg()[0].toFixed(1)}, ${new Date().toISOString().slice(0, 16)}Z`;
}

export const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 1 : 0)} ms` : "-");
export const mb = (value: number) => `${value.toFixed(0)} MB`;
export const verdict = (ok: boolean) => (ok ? "ok" : "OVER");
