import { isAscii, isUtf8 } from "node:buffer";

/** C0 controls other than tab, line feed, vertical tab, form feed, carriage return and escape; and DEL. */
const CONTROL_CHARACTERS = /[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]/g;

function isControlByte(byte: number): boolean {
	return byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b) || byte === 0x7f;
}

/**
 * What the bytes of an upload say about it being text, gathered chunk by chunk in one pass:
 * UTF-8 well-formedness (with counts of good multi-byte sequences and malformed bytes, which tell
 * "UTF-8 with a few broken bytes" from "a legacy charset" where neither TextDecoder nor chardet
 * can), NULs and other control bytes. Valid UTF-8 stretches are checked natively (simdutf);
 * only invalid ones and sequences split between chunks are walked byte by byte.
 */
export class TextEvidence {
	/** Well-formed UTF-8 sequences of two to four bytes (in valid stretches, a lower bound). */
	multibyte = 0;
	/** Bytes that cannot start or continue a UTF-8 sequence, and sequences cut short. */
	malformed = 0;
	/** Byte offset of the first malformed sequence, or null while the bytes are valid UTF-8. */
	firstMalformedAt: number | null = null;
	nulBytes = 0;
	/** Control bytes other than NUL that text does not contain (see CONTROL_CHARACTERS). */
	controlBytes = 0;

	#needed = 0;
	#lower = 0x80;
	#upper = 0xbf;
	#sequenceStart = 0;
	#offset = 0;

	push(chunk: Buffer): void {
		let start = 0;
		// Finish a sequence the previous chunk began.
		while (start < chunk.length && this.#needed > 0) this.#walk(chunk, start, ++start);
		const cut = this.#incompleteTail(chunk, start);
		const middle = chunk.subarray(start, cut);
		if (isUtf8(middle)) this.#valid(middle);
		else this.#walk(chunk, start, cut);
		this.#walk(chunk, cut, chunk.length);
		this.#offset += chunk.length;
	}

	/** Call once after the last chunk: a sequence still open at the end is malformed. */
	end(): void {
		if (this.#needed > 0) this.#markMalformed(this.#sequenceStart);
		this.#needed = 0;
	}

	get validUtf8(): boolean {
		return this.malformed === 0;
	}

	/** Where a multi-byte sequence starts that the chunk's end cuts short (else the chunk's length). */
	#incompleteTail(chunk: Buffer, from: number): number {
		for (let back = 1; back <= 3 && chunk.length - back >= from; back++) {
			const byte = chunk[chunk.length - back];
			if (byte < 0x80) return chunk.length;
			if (byte >= 0xc0) {
				const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
				return length > back ? chunk.length - back : chunk.length;
			}
		}
		return chunk.length;
	}

	/** A stretch known to be valid UTF-8: only its multi-byte sequences and control characters to count. */
	#valid(bytes: Buffer): void {
		const text = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
		// Two-byte sequences become one UTF-16 unit, longer ones two fewer: at least half the difference.
		this.multibyte += (bytes.length - text.length) >> 1;
		const controls = text.match(CONTROL_CHARACTERS);
		if (!controls) return;
		for (const control of controls) {
			if (control === "\0") this.nulBytes++;
			else this.controlBytes++;
		}
	}

	/** Byte by byte: invalid stretches and sequences that span chunks. */
	#walk(chunk: Buffer, from: number, to: number): void {
		for (let i = from; i < to; i++) {
			const byte = chunk[i];
			if (this.#needed > 0) {
				if (byte >= this.#lower && byte <= this.#upper) {
					this.#lower = 0x80;
					this.#upper = 0xbf;
					if (--this.#needed === 0) this.multibyte++;
					continue;
				}
				// A sequence cut short; the byte that broke it is judged on its own below.
				this.#markMalformed(this.#sequenceStart);
			}
			if (byte < 0x80) {
				if (byte === 0) this.nulBytes++;
				else if (isControlByte(byte)) this.controlBytes++;
				continue;
			}
			this.#sequenceStart = this.#offset + i;
			if (byte >= 0xc2 && byte <= 0xdf) {
				this.#needed = 1;
			} else if (byte >= 0xe0 && byte <= 0xef) {
				this.#needed = 2;
				// Overlong forms and UTF-16 surrogates are not UTF-8.
				if (byte === 0xe0) this.#lower = 0xa0;
				if (byte === 0xed) this.#upper = 0x9f;
			} else if (byte >= 0xf0 && byte <= 0xf4) {
				this.#needed = 3;
				if (byte === 0xf0) this.#lower = 0x90;
				if (byte === 0xf4) this.#upper = 0x8f;
			} else {
				this.#markMalformed(this.#sequenceStart);
			}
		}
	}

	#markMalformed(at: number): void {
		this.malformed++;
		this.firstMalformedAt ??= at;
		this.#needed = 0;
		this.#lower = 0x80;
		this.#upper = 0xbf;
	}
}
