export interface DecodeOptions {
	/** Throw on bytes that are invalid in the charset instead of replacing them. */
	fatal?: boolean;
	/** The bytes are a prefix of the text: a character cut at the end is dropped, not an error. */
	prefix?: boolean;
}

/** Decodes bytes in a charset chosen by detection/charset.ts; UTF-32 is not in TextDecoder, so iconv-lite reads it. */
export async function decodeText(bytes: Uint8Array, charset: string, options: DecodeOptions = {}): Promise<string> {
	if (charset.startsWith("utf-32")) {
		const iconv = (await import("iconv-lite")).default;
		const whole = bytes.subarray(0, bytes.length - (bytes.length % 4));
		return iconv.decode(Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength), charset).replace(/^\uFEFF/, "");
	}
	return new TextDecoder(charset, { fatal: options.fatal ?? false }).decode(bytes, { stream: options.prefix ?? false });
}
