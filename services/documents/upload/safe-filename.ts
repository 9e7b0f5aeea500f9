const MAX_NAME_BYTES = 200;
const FALLBACK_NAME = "document";

/** C0/C1 controls, and the bidirectional overrides that make "evil\u202Efdp.exe" display as "evilexe.pdf". */
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** Characters Windows forbids in names; replaced so a downloaded copy saves anywhere. */
const RESERVED_CHARACTERS = /[<>:"|?*]/g;

function truncateUtf8(name: string, maxBytes: number): string {
	if (Buffer.byteLength(name) <= maxBytes) return name;
	const dot = name.lastIndexOf(".");
	const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
	let stem = name.slice(0, name.length - ext.length);
	while (stem && Buffer.byteLength(stem + ext) > maxBytes) stem = [...stem].slice(0, -1).join("");
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
	name = name.replace(/^[.\s]+/, "").replace(/[.\s]+$/, "");
	name = truncateUtf8(name, MAX_NAME_BYTES);
	return name || FALLBACK_NAME;
}

/** Content-Disposition for a download: an ASCII fallback and the exact name (RFC 6266 / 8187). */
export function attachmentDisposition(filename: string): string {
	const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, c => "%" + c.charCodeAt(0).toString(16).toUpperCase())}`;
}
