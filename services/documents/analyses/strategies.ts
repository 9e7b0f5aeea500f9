import type { AnalysisStrategy, ProviderAnalysis } from "./types.ts";

/** Runs one provider's whole analysis; throws only when `signal` aborts it. */
export type RunProvider = (provider: string, signal: AbortSignal) => Promise<ProviderAnalysis>;

/** All at once, every result kept side by side. */
async function parallel(providers: string[], run: RunProvider, signal: AbortSignal): Promise<ProviderAnalysis[]> {
	return Promise.all(providers.map(provider => run(provider, signal)));
}

/** In order until one succeeds; the failures before it stay in the results. */
async function fallback(providers: string[], run: RunProvider, signal: AbortSignal): Promise<ProviderAnalysis[]> {
	const results: ProviderAnalysis[] = [];
	for (const provider of providers) {
		const result = await run(provider, signal);
		results.push(result);
		if (!result.error) break;
	}
	return results;
}

/** All at once; the first to succeed wins and the others are stopped. Failures that came first stay. */
function race(providers: string[], run: RunProvider, signal: AbortSignal): Promise<ProviderAnalysis[]> {
	const losers = new AbortController();
	const raceSignal = AbortSignal.any([signal, losers.signal]);
	return new Promise((resolve, reject) => {
		const failures: ProviderAnalysis[] = [];
		let pending = providers.length;
		let settled = false;
		for (const provider of providers) {
			run(provider, raceSignal).then(
				result => {
					if (settled) return;
					if (!result.error) {
						settled = true;
						losers.abort();
						resolve([result, ...failures]);
						return;
					}
					failures.push(result);
					if (--pending === 0) {
						settled = true;
						resolve(failures);
					}
				},
				err => {
					// Only the job's own abort (cancel, stop) rejects; stopped losers are expected.
					if (!settled && signal.aborted) {
						settled = true;
						reject(err);
					}
				}
			);
		}
	});
}

/** The providers an analysis runs, by its strategy; `consensus` runs them all like `parallel`. */
export function runStrategy(strategy: AnalysisStrategy, providers: string[], run: RunProvider, signal: AbortSignal): Promise<ProviderAnalysis[]> {
	switch (strategy) {
		case "single":
			return parallel(providers.slice(0, 1), run, signal);
		case "fallback":
			return fallback(providers, run, signal);
		case "race":
			return race(providers, run, signal);
		case "parallel":
		case "consensus":
			return parallel(providers, run, signal);
	}
}
