import { decodedLimitMessage, type DecodedBudget } from "./decoded-budget.ts";
import { ExtractionError } from "./extraction-error.ts";

export interface ZipLimits {
	maxEntries: number;
	/** Uncompressed / compressed, for entries big enough for the ratio to mean something. */
	maxRatio: number;
}

/** Below this an entry's ratio says nothing (a 2 KB run of spaces compresses 100:1 legitimately). */
const RATIO_MIN_BYTES = 1024 * 1024;

/**
 * Refuses decompression bombs before a zip-based document reaches its parser: too many entries,
 * more declared in total than the decoded budget, or an entry that inflates suspiciously far. Then
 * every entry is inflated once (and discarded) with each chunk counted against the budget as it
 * comes out, so an archive whose directory lies is stopped at the cap, not after inflating; yauzl
 * also fails an entry whose real size differs from the declared one.
 */
export async function checkZip(bytes: Uint8Array, limits: ZipLimits, budget: DecodedBudget): Promise<void> {
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
		let declared = 0;
		for await (const entry of zip.eachEntry()) {
			declared += entry.uncompressedSize;
			// The directory's own claim is enough to refuse; what it claims is never trusted to accept.
			if (declared > budget.maxBytes) throw new ExtractionError(decodedLimitMessage(budget.maxBytes));
			const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
			if (entry.uncompressedSize >= RATIO_MIN_BYTES && ratio > limits.maxRatio) {
				throw new ExtractionError(`The archive entry ${entry.fileName} expands ${Math.round(ratio)} times; it looks like a decompression bomb`);
			}
			entries.push(entry);
		}
		for (const entry of entries) {
			if (entry.fileName.endsWith("/")) continue;
			const stream = await zip.openReadStreamPromise(entry);
			try {
				for await (const chunk of stream) budget.spend((chunk as Buffer).length);
			} finally {
				stream.destroy();
			}
		}
	} catch (err) {
		if (err instanceof ExtractionError) throw err;
		throw new ExtractionError(`The file is damaged: ${(err as Error).message}`);
	} finally {
		zip.close();
	}
}
