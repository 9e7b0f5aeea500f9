import type { DocumentStatus, DocumentSummary, DocumentText, DocumentTextStats } from "../../shared/contracts/documents.ts";
import type { JobStatus } from "../../shared/jobs/index.ts";
import type { DocumentRecord, DocumentTextRecord } from "./models.ts";
import type { ChunkBoundary } from "./text/chunk-text.ts";

/** A document row is its extraction job; its job status is what the contract calls the document's status. */
const DOCUMENT_STATUS: Record<JobStatus, DocumentStatus> = {
	queued: "uploaded",
	running: "extracting",
	succeeded: "ready",
	failed: "failed",
	cancelled: "failed",
};

export function documentStatus(document: DocumentRecord): DocumentStatus {
	return DOCUMENT_STATUS[document.status];
}

export function documentSummary(document: DocumentRecord): DocumentSummary {
	const status = documentStatus(document);
	return {
		id: document.id,
		filename: document.filename,
		mimeType: document.mimeType,
		size: document.size,
		sha256: document.sha256,
		status,
		error: status === "failed" ? (document.lastError ?? "Text extraction failed") : null,
		charset: document.charset,
		createdAt: new Date(document.createdAt).toISOString(),
	};
}

/** Stored chunks are boundaries only; their text is cut from the document's text here. */
export function documentText(record: DocumentTextRecord): DocumentText {
	const boundaries = JSON.parse(record.chunks) as ChunkBoundary[];
	return {
		text: record.text,
		chunks: boundaries.map((chunk, index) => ({
			index,
			start: chunk.start,
			end: chunk.end,
			text: record.text.slice(chunk.start, chunk.end),
			tokenEstimate: chunk.tokenEstimate,
			heading: chunk.heading,
		})),
		stats: JSON.parse(record.stats) as DocumentTextStats,
	};
}
