const MAX_NAME_BYTES = 200;
const FALLBACK_NAME = "document";

/** C0/C1 controls, and the bidirectional overrides that make "evil\u202Efdp.exe" display as "evilexe.pdf". */
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** Characters Windows forbids in names; replaced so a downloaded copy saves anywhere. */
const RESERVED_CHARACTERS = /[<>:"|?*]/g;
/**
 * Dots and spaces ending the name. The look-behind lets a match start only where such a run
 * starts: without it a run in the middle ("x" + 200,000 dots + "y") was rescanned from each of its
 * characters, about a minute of CPU for one upload's name.
 */
const TRAILING_DOTS_AND_SPACES = /(?<![.\s])[.\s]+$/;

/**
 * The longest run of whole characters from the start that fits `maxBytes` with the extension kept.
 * Built forwards, one character at a time, and stopped once full: removing characters from the end
 * one by one re-measured the whole name each time (a 20,000-character name took 5 s).
 */
function truncateUtf8(name: string, maxBytes: number): string {
	if (Buffer.byteLength(name) <= maxBytes) return name;
	const dot = name.lastIndexOf(".");
	const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
	let room = maxBytes - Buffer.byteLength(ext);
	let stem = "";
	for (const character of name.slice(0, name.length - ext.length)) {
		room -= Buffer.byteLength(character);
		if (room < 0) break;
		stem += character;
	}
	return stem + ext;
}

/**
 * The user's file name as display metadata: no directories (either slash), no control or
 * direction-override characters, no leading dots, bounded length. The stored object is named by
 * its hash, never by this.
 */
export function cleanFilename(raw: unknown): string {
	let name = typeof raw === "string" ? raw.normalize("NFC") : "";
	name = name.replace(UNSAFE_CHARACTERS, "");
	name = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
	name = name.replace(RESERVED_CHARACTERS, "_").replace(/\s+/g, " ").trim();
	name = name.replace(/^[.\s]+/, "").replace(TRAILING_DOTS_AND_SPACES, "");
	name = truncateUtf8(name, MAX_NAME_BYTES);
	return name || FALLBACK_NAME;
}

/** Content-Disposition for a download: an ASCII fallback and the exact name (RFC 6266 / 8187). */
export function attachmentDisposition(filename: string): string {
	const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, c => "%" + c.charCodeAt(0).toString(16).toUpperCase())}`;
}
