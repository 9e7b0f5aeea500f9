import zlib from "node:zlib";
import type { DecodedBudget } from "./decoded-budget.ts";

/**
 * Counts what a PDF's streams inflate to, against the document's decoded budget, before pdf.js
 * sees the file. pdf.js decodes a stream into one growing ArrayBuffer outside the V8 heap and has
 * no limit of its own, so a 261 KB file whose content stream inflates to 256 MiB would cost that
 * much memory; here each stream is inflated in small chunks that are counted and dropped, and the
 * first byte over the budget stops everything.
 *
 * Streams are found the way a reader repairing a damaged file finds them: the keyword `stream`
 * after a dictionary. The dictionary says the filters and the length (resolving an indirect
 * length, so data that happens to contain `endstream` does not hide the rest). Images and attached
 * files are skipped: text extraction never decodes them. Filters counted: FlateDecode (also chained
 * several times, or after ASCIIHexDecode), LZWDecode and RunLengthDecode, the ones that expand;
 * other streams count their stored size. Streams of an encrypted file cannot be read here: the
 * extraction process's memory ceiling is what bounds those.
 */
export async function checkPdfStreams(bytes: Uint8Array, budget: DecodedBudget): Promise<void> {
	const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	// latin1 maps every byte to one character, so string offsets are byte offsets.
	const text = buffer.toString("latin1");
	let integerObjects: Map<string, number> | undefined;
	const resolveInteger = (reference: string) => (integerObjects ??= indexIntegerObjects(text)).get(reference);

	let from = 0;
	let searchFrom = 0;
	for (;;) {
		const keyword = text.indexOf("stream", searchFrom);
		if (keyword < 0) return;
		searchFrom = keyword + 6;
		if (text.startsWith("end", keyword - 3)) continue;
		const dictionary = dictionaryBefore(text, keyword, from);
		if (dictionary === undefined) continue;
		let start = keyword + 6;
		if (text[start] === "\r") start++;
		if (text[start] === "\n") start++;
		const entries = topLevel(dictionary);
		const end = streamEnd(text, start, entries, resolveInteger);
		from = searchFrom = end;
		if (/\/Subtype\s*\/Image\b|\/Type\s*\/EmbeddedFile\b/.test(entries)) continue;
		// A dictionary that could not be delimited hides its filters: inflating is then the cautious guess.
		await countDecoded(buffer.subarray(start, end), dictionary === "" ? ["FlateDecode"] : filtersOf(entries), budget);
	}
}

/** No real stream dictionary is this long; looking further back would make a hostile file quadratic. */
const MAX_DICTIONARY_CHARS = 64 * 1024;

/**
 * The `<< ... >>` that ends right before `at` (only whitespace between); undefined when there is
 * none (the word `stream` in text), "" when it cannot be delimited (then its filters are unknown).
 */
function dictionaryBefore(text: string, at: number, notBefore: number): string | undefined {
	let i = at - 1;
	while (i >= notBefore && /\s/.test(text[i])) i--;
	if (text[i] !== ">" || text[i - 1] !== ">") return undefined;
	const limit = Math.max(notBefore, i - MAX_DICTIONARY_CHARS);
	let depth = 0;
	for (; i > limit; i--) {
		if (text[i] === ">" && text[i - 1] === ">") {
			depth++;
			i--;
		} else if (text[i] === "<" && text[i - 1] === "<") {
			depth--;
			i--;
			if (depth === 0) return text.slice(i, at);
		}
	}
	return "";
}

/** A dictionary's own entries, without nested dictionaries (whose /Subtype or /Filter is not the stream's). */
function topLevel(dictionary: string): string {
	let depth = 0;
	let kept = "";
	for (let i = 0; i < dictionary.length; i++) {
		if (dictionary.startsWith("<<", i)) {
			depth++;
			i++;
			if (depth === 1) kept += " ";
			continue;
		}
		if (dictionary.startsWith(">>", i)) {
			depth--;
			i++;
			continue;
		}
		if (depth === 1) kept += dictionary[i];
	}
	return kept;
}

/** Where the stream's data ends: its /Length when that lands on `endstream`, else the next `endstream`. */
function streamEnd(text: string, start: number, entries: string, resolveInteger: (reference: string) => number | undefined): number {
	const length = /\/Length\s+(\d+)(?:\s+(\d+)\s+R\b)?/.exec(entries);
	if (length) {
		const value = length[2] === undefined ? Number(length[1]) : resolveInteger(`${length[1]} ${length[2]}`);
		if (value !== undefined && start + value <= text.length && /^\s*endstream/.test(text.slice(start + value, start + value + 64))) return start + value;
	}
	const end = text.indexOf("endstream", start);
	return end < 0 ? text.length : end;
}

/** Objects that are a bare integer (`12 0 obj 4711 endobj`), the usual home of an indirect /Length. */
function indexIntegerObjects(text: string): Map<string, number> {
	const found = new Map<string, number>();
	for (const match of text.matchAll(/(\d+)\s+(\d+)\s+obj\s*(\d+)\s*endobj/g)) found.set(`${match[1]} ${match[2]}`, Number(match[3]));
	return found;
}

const FILTER_NAMES: Record<string, string> = { Fl: "FlateDecode", LZW: "LZWDecode", RL: "RunLengthDecode", AHx: "ASCIIHexDecode", A85: "ASCII85Decode" };

function filtersOf(entries: string): string[] {
	const filter = /\/Filter\s*(\[[^\]]*\]|\/[^\s/[\]<>()]+)/.exec(entries);
	if (!filter) return [];
	return [...filter[1].matchAll(/\/([^\s/[\]<>()]+)/g)].map(m => FILTER_NAMES[m[1]] ?? m[1]);
}

async function countDecoded(data: Buffer, filters: string[], budget: DecodedBudget): Promise<void> {
	let input = data;
	let stages = [...filters];
	if (stages[0] === "ASCIIHexDecode") {
		input = Buffer.from(input.toString("latin1").replace(/>.*$/s, "").replace(/[^0-9a-fA-F]/g, ""), "hex");
		stages = stages.slice(1);
	}
	if (stages[0] === "FlateDecode") {
		let inflations = 0;
		while (stages[inflations] === "FlateDecode") inflations++;
		return countInflated(input, inflations, budget);
	}
	if (stages[0] === "LZWDecode") return countLzw(input, budget);
	if (stages[0] === "RunLengthDecode") return countRunLength(input, budget);
	budget.spend(input.length);
}

/**
 * Inflates `data` through `times` inflaters in a row and counts the last one's output chunk by
 * chunk, dropping it. A damaged stream counts what it yielded before the damage (pdf.js too reads
 * what it can and stops).
 */
function countInflated(data: Buffer, times: number, budget: DecodedBudget): Promise<void> {
	return new Promise((resolve, reject) => {
		const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: 64 * 1024 };
		const stages = Array.from({ length: times }, () => zlib.createInflate(options));
		let ended = false;
		const finish = (err?: Error) => {
			if (ended) return;
			ended = true;
			for (const stage of stages) stage.destroy();
			if (err) reject(err);
			else resolve();
		};
		for (let i = 0; i < stages.length; i++) {
			stages[i].on("error", () => finish());
			if (i + 1 < stages.length) stages[i].pipe(stages[i + 1]);
		}
		const last = stages[stages.length - 1];
		last.on("data", (chunk: Buffer) => {
			try {
				budget.spend(chunk.length);
			} catch (err) {
				finish(err as Error);
			}
		});
		last.on("end", () => finish());
		stages[0].end(data);
	});
}

/** The length LZWDecode (EarlyChange 1, as PDF writers use) would produce, without producing it. */
function countLzw(data: Buffer, budget: DecodedBudget): void {
	const lengths = new Uint32Array(4096).fill(1, 0, 256);
	let next = 258;
	let width = 9;
	let previous = 0;
	let bits = 0;
	let held = 0;
	let pending = 0;
	for (const byte of data) {
		held = ((held << 8) | byte) & 0xffffff;
		bits += 8;
		while (bits >= width) {
			bits -= width;
			const code = (held >>> bits) & ((1 << width) - 1);
			if (code === 256) {
				next = 258;
				width = 9;
				previous = 0;
				continue;
			}
			if (code === 257) return budget.spend(pending);
			let length: number;
			if (code < 256 || (code >= 258 && code < next)) length = lengths[code];
			else if (code === next && previous > 0) length = previous + 1;
			else return budget.spend(pending);
			if (previous > 0 && next < 4096) lengths[next++] = previous + 1;
			previous = length;
			pending += length;
			if (pending > 65536) {
				budget.spend(pending);
				pending = 0;
			}
			if (next + 1 >= 1 << width && width < 12) width++;
		}
	}
	budget.spend(pending);
}

/** The length RunLengthDecode would produce: a byte n < 128 copies n + 1 bytes, n > 128 repeats one 257 - n times. */
function countRunLength(data: Buffer, budget: DecodedBudget): void {
	let total = 0;
	for (let i = 0; i < data.length; ) {
		const n = data[i];
		if (n === 128) break;
		if (n < 128) {
			total += n + 1;
			i += n + 2;
		} else {
			total += 257 - n;
			i += 2;
		}
	}
	budget.spend(total);
}
