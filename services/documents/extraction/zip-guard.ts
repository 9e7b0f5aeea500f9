import { ExtractionError } from "./extraction-error.ts";

export interface ZipLimits {
	maxEntries: number;
	/** Sum of all entries' uncompressed sizes. */
	maxUncompressedBytes: number;
	/** Uncompressed / compressed, for entries big enough for the ratio to mean something. */
	maxRatio: number;
}

/** Below this an entry's ratio says nothing (a 2 KB run of spaces compresses 100:1 legitimately). */
const RATIO_MIN_BYTES = 1024 * 1024;

/**
 * Refuses decompression bombs before a zip-based document reaches its parser: too many entries,
 * too much in total, or an entry that inflates suspiciously far. The sizes come from the central
 * directory, and every entry is then inflated once (and discarded) with yauzl checking that the
 * real sizes match, so a directory that lies is caught too, within the same limits.
 */
export async function checkZip(bytes: Uint8Array, limits: ZipLimits): Promise<void> {
	const yauzl = (await import("yauzl")).default;
	let zip;
	try {
		zip = await yauzl.fromBufferPromise(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
	} catch (err) {
		throw new ExtractionError(`The file is damaged: it is not a readable zip archive (${(err as Error).message})`);
	}
	try {
		if (zip.entryCount > limits.maxEntries) {
			throw new ExtractionError(`The archive has ${zip.entryCount} entries; at most ${limits.maxEntries} are allowed`);
		}
		const entries = [];
		let total = 0;
		for await (const entry of zip.eachEntry()) {
			total += entry.uncompressedSize;
			if (total > limits.maxUncompressedBytes) {
				throw new ExtractionError(`The archive expands to more than ${limits.maxUncompressedBytes} bytes; it looks like a decompression bomb`);
			}
			const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
			if (entry.uncompressedSize >= RATIO_MIN_BYTES && ratio > limits.maxRatio) {
				throw new ExtractionError(`The archive entry ${entry.fileName} expands ${Math.round(ratio)} times; it looks like a decompression bomb`);
			}
			entries.push(entry);
		}
		for (const entry of entries) {
			if (entry.fileName.endsWith("/")) continue;
			const stream = await zip.openReadStreamPromise(entry);
			for await (const _chunk of stream) {
				// Inflating is the check: yauzl fails the stream if the real size differs from the declared one.
			}
		}
	} catch (err) {
		if (err instanceof ExtractionError) throw err;
		throw new ExtractionError(`The file is damaged: ${(err as Error).message}`);
	} finally {
		zip.close();
	}
}
