/** Response headers: the platform's own time on a request, and the time it spent waiting for providers. */
export const OVERHEAD_HEADER = "X-Platform-Overhead-Ms";
export const PROVIDER_TIME_HEADER = "X-Provider-Time-Ms";
