import { rssMb } from "./processes.ts";

/**
 * Samples the resident memory (VmRSS) of a set of processes every `everyMs`: the peak of their sum
 * (what one machine would need) and each one's own peak.
 */
export class MemorySampler {
	peakTotal = 0;
	readonly peakOf = new Map<string, number>();
	#timer: NodeJS.Timeout | undefined;
	#processes: { name: string; pid: number }[];

	constructor(processes: { name: string; pid: number }[]) {
		this.#processes = processes;
	}

	/** Their summed RSS now, in MB. */
	total(): number {
		return this.#processes.reduce((sum, p) => sum + rssMb(p.pid), 0);
	}

	start(everyMs = 100): void {
		this.#timer = setInterval(() => {
			let total = 0;
			for (const { name, pid } of this.#processes) {
				const rss = rssMb(pid);
				total += rss;
				this.peakOf.set(name, Math.max(this.peakOf.get(name) ?? 0, rss));
			}
			this.peakTotal = Math.max(this.peakTotal, total);
		}, everyMs);
	}

	stop(): void {
		clearInterval(this.#timer);
	}
}
