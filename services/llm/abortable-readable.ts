import { Readable } from "node:stream";

/**
 * Readable.from(source), except that destroying it calls `onDestroy` at once. Readable.from only
 * returns its generator at the generator's next yield, and a relay waiting for a provider's next
 * token may not yield for a whole timeout: meanwhile the provider would keep generating, and billing,
 * for a client that is gone.
 */
export function abortableReadable<T>(source: AsyncIterable<T>, onDestroy: () => void, options: { objectMode?: boolean } = {}): Readable {
	const readable = Readable.from(source, options);
	const destroy = readable._destroy.bind(readable);
	readable._destroy = (error, callback) => {
		onDestroy();
		destroy(error, callback);
	};
	return readable;
}
