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

export interface DocumentText {
	text: string;
	chunks: TextChunk[];
	stats: { pages: number | null; words: number; characters: number; language: string | null };
}
