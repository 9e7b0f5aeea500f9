import { ExtractionError } from "./extraction-error.ts";

/** What a person reads when a document is over the decoded-bytes cap. */
export function decodedLimitMessage(maxBytes: number): string {
	return `The document expands to more than ${Math.round(maxBytes / (1024 * 1024))} MB of content when unpacked; it is too large to extract or a decompression bomb`;
}

/**
 * Bytes a document may expand to, counted while its compressed parts (PDF streams, zip entries)
 * inflate: a small file can declare anything, so only what inflation really produces is counted,
 * and counting stops the inflation the moment the total passes the cap.
 */
export class DecodedBudget {
	readonly maxBytes: number;
	#used = 0;

	constructor(maxBytes: number) {
		this.maxBytes = maxBytes;
	}

	get used(): number {
		return this.#used;
	}

	/** Counts `bytes` more; throws the uploader's explanation once the total is over the cap. */
	spend(bytes: number): void {
		this.#used += bytes;
		if (this.#used > this.maxBytes) throw new ExtractionError(decodedLimitMessage(this.maxBytes));
	}
}
