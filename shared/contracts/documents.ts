/** What other services get from the documents service. */

export type DocumentStatus = "uploaded" | "extracting" | "ready" | "failed";

export interface DocumentSummary {
	id: string;
	filename: string;
	mimeType: string;
	size: number;
	sha256: string;
	status: DocumentStatus;
	/** Readable reason when status is failed. */
	error?: string | null;
	createdAt: string;
	/** Text encoding of the original bytes, for text formats (e.g. "utf-8", "windows-1252"). */
	charset?: string | null;
}

export interface TextChunk {
	index: number;
	/** Character offsets into the full text. */
	start: number;
	end: number;
	text: string;
	tokenEstimate: number;
	heading?: string | null;
}

export interface DocumentTextStats {
	pages: number | null;
	words: number;
	characters: number;
	/** ISO 639-3 code (franc), or null when the text is too short or mixed to tell. */
	language: string | null;
	/** True when the text was cut at the extraction limit; the original stays downloadable. */
	truncated?: boolean;
}

export interface DocumentText {
	text: string;
	chunks: TextChunk[];
	stats: DocumentTextStats;
}

/** Event payloads: `documents.uploaded`, `documents.extracted`, `documents.deleted`. */
export interface DocumentUploadedEvent {
	documentId: string;
	userId: string;
}

export interface DocumentExtractedEvent {
	documentId: string;
	userId: string;
	/** The uploader asked for analysis on upload (`analyze=true`). */
	analyze: boolean;
}

export interface DocumentDeletedEvent {
	documentId: string;
	userId: string;
}
