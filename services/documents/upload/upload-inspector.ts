import crypto from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { payloadTooLarge } from "../../../shared/errors.ts";
import { TextEvidence } from "./text-evidence.ts";

/** Enough for file-type's magic numbers and for sniffing text (charset, CSV, Markdown, HTML). */
const HEAD_BYTES = 64 * 1024;

export interface UploadInspection {
	size: number;
	sha256: string;
	/** The first HEAD_BYTES bytes (fewer for a smaller file). */
	head: Buffer;
	utf8: { valid: boolean; multibyte: number; malformed: number; firstMalformedAt: number | null };
	/** Bytes no text file contains: NUL and the C0 controls other than tab, line breaks, form feed, escape. */
	controlBytes: number;
	nulBytes: number;
}

/**
 * Sits in the upload pipeline and passes every chunk on unchanged, while hashing, counting and
 * keeping what type detection needs, so the file is read exactly once and never held whole.
 * Past `maxBytes` it fails the pipeline with 413, which stops the upload.
 */
export class UploadInspector extends Transform {
	readonly #maxBytes: number;
	readonly #hash = crypto.createHash("sha256");
	readonly #head: Buffer;
	readonly #evidence = new TextEvidence();
	#size = 0;
	#headLength = 0;

	constructor(maxBytes: number) {
		super();
		this.#maxBytes = maxBytes;
		this.#head = Buffer.alloc(Math.min(HEAD_BYTES, maxBytes));
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.#size += chunk.length;
		if (this.#size > this.#maxBytes) {
			callback(payloadTooLarge(`The file is larger than the upload limit of ${this.#maxBytes} bytes`));
			return;
		}
		this.#hash.update(chunk);
		if (this.#headLength < this.#head.length) {
			this.#headLength += chunk.copy(this.#head, this.#headLength);
		}
		this.#evidence.push(chunk);
		callback(null, chunk);
	}

	/** What was seen; call after the pipeline has finished. */
	result(): UploadInspection {
		const evidence = this.#evidence;
		evidence.end();
		return {
			size: this.#size,
			sha256: this.#hash.digest("hex"),
			head: this.#head.subarray(0, this.#headLength),
			utf8: { valid: evidence.validUtf8, multibyte: evidence.multibyte, malformed: evidence.malformed, firstMalformedAt: evidence.firstMalformedAt },
			controlBytes: evidence.controlBytes,
			nulBytes: evidence.nulBytes,
		};
	}
}
