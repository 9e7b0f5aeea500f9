import crypto from "node:crypto";
import type { Readable } from "node:stream";
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { createDbMixin, type DbServiceThis } from "../../shared/db/db.mixin.ts";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { platformConfig } from "../../shared/platform.ts";
import { conflict, invalidInput, notFound } from "../../shared/errors.ts";
import { callerOf, findOwned } from "../../shared/ownership.ts";
import { JobQueue, UnretryableJobError, type JobContext, type JobStatus } from "../../shared/jobs/index.ts";
import { leaseOwnerGone } from "../../shared/jobs/bus-presence.ts";
import type { AuthenticatedUser, CallerMeta } from "../../shared/contracts/auth.ts";
import type { DocumentDeletedEvent, DocumentExtractedEvent, DocumentSummary, DocumentText, DocumentUploadedEvent } from "../../shared/contracts/documents.ts";
import { migrations } from "./migrations/index.ts";
import { defineModels, type DocumentModels, type DocumentRecord } from "./models.ts";
import { documentLimits, type DocumentLimits } from "./limits.ts";
import { DocumentCache } from "./document-cache.ts";
import { documentStatus, documentSummary, documentText } from "./document-view.ts";
import { detectType } from "./detection/detect-type.ts";
import { cleanFilename, attachmentDisposition } from "./upload/safe-filename.ts";
import { receiveUpload } from "./upload/receive-upload.ts";
import type { BlobStore } from "./storage/blob-store.ts";
import { createBlobStore } from "./storage/create-blob-store.ts";
import { attachBlob, releaseBlob } from "./storage/blob-registry.ts";
import { ExtractionLimitError, ExtractionSandbox } from "./extraction/extraction-sandbox.ts";
import { textByteLimit } from "./extraction/extract-plain.ts";
import { BINARY_FORMATS } from "./detection/formats.ts";
import { listLimitParam, listOffsetParam } from "../../shared/validation/pagination.ts";

type Meta = CallerMeta & { $location?: string };
type DocumentContext<P = unknown> = Context<P, Meta>;

interface UploadParams {
	analyze?: boolean;
	$filename?: string;
	$fieldname?: string;
}

interface DocumentsThis extends DbServiceThis<DocumentModels> {
	limits: DocumentLimits;
	blobs: BlobStore;
	sandbox: ExtractionSandbox;
	extractions: JobQueue<DocumentRecord>;
	stagingSweeper?: NodeJS.Timeout;
	sweepStaging(): Promise<void>;
	ownDocument(ctx: DocumentContext, id: string): Promise<DocumentRecord>;
	readText(ctx: DocumentContext, id: string): Promise<DocumentText>;
	store(stream: Readable, user: AuthenticatedUser, filename: string, analyze: boolean): Promise<DocumentRecord>;
	extract(document: DocumentRecord, context: JobContext): Promise<void>;
	extractionChanged(document: DocumentRecord, status: JobStatus): Promise<void>;
}

const byId = { id: { type: "string", min: 1, max: 64 } };

/**
 * Documents: streaming upload with content-based type detection, content-addressed storage,
 * text extraction in sandboxed child processes as a durable job, chunked text for LLMs.
 * Every read is the caller's own documents only; another user's document is 404.
 */
const DocumentsService: ServiceSchema<ServiceSettingSchema, Record<string, any>, Record<string, any>, DocumentsThis> = {
	name: "documents",
	mixins: [createDbMixin({ name: "documents", migrations, models: defineModels }), createHealthMixin()],

	actions: {
		/** POST /api/v1/documents (multipart, field `file`; `analyze=true` as query or a field before the file). */
		upload: {
			// moleculer-web's typings omit `type`, which its aliases honour: busboy parses, one call per file.
			rest: { method: "POST", path: "/", type: "multipart" } as { method: "POST"; path: string },
			params: {
				analyze: { type: "boolean", convert: true, optional: true },
				$filename: { type: "string", optional: true },
				$fieldname: { type: "string", optional: true },
			},
			async handler(this: DocumentsThis, ctx: DocumentContext<UploadParams>): Promise<DocumentSummary> {
				const user = callerOf(ctx);
				const stream = ctx.stream as Readable | undefined;
				if (!stream) throw invalidInput("No file: send the document as multipart/form-data in the field `file`");
				if (ctx.params.$fieldname !== undefined && ctx.params.$fieldname !== "file") {
					stream.resume();
					throw invalidInput(`Send the document in the field \`file\`, not \`${ctx.params.$fieldname}\``);
				}
				const document = await this.store(stream, user, cleanFilename(ctx.params.$filename), ctx.params.analyze === true);
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/documents/${document.id}`;
				return documentSummary(document);
			},
		},

		/** GET /api/v1/documents?limit=&offset= : the caller's documents, newest first. */
		list: {
			rest: "GET /",
			params: {
				limit: listLimitParam,
				offset: listOffsetParam,
			},
			async handler(this: DocumentsThis, ctx: DocumentContext<{ limit: number; offset: number }>): Promise<{ items: DocumentSummary[]; total: number }> {
				const user = callerOf(ctx);
				const { limit, offset } = ctx.params;
				return DocumentCache.list(this.broker, user.id, { limit, offset }, async () => {
					const { rows, count } = await this.models.Document.findAndCountAll({
						where: { userId: user.id },
						order: [
							["createdAt", "DESC"],
							["id", "DESC"],
						],
						limit,
						offset,
					});
					return { items: rows.map(documentSummary), total: count };
				});
			},
		},

		/** GET /api/v1/documents/:id ; also called by other services with the caller's meta. */
		get: {
			rest: "GET /:id",
			params: byId,
			async handler(this: DocumentsThis, ctx: DocumentContext<{ id: string }>): Promise<DocumentSummary> {
				const id = ctx.params.id.toLowerCase();
				return DocumentCache.get(this.broker, callerOf(ctx).id, id, async () => documentSummary(await this.ownDocument(ctx, id)));
			},
		},

		/**
		 * GET /api/v1/documents/:id/text -> {text, chunks, stats}. A document whose text is not
		 * extracted (yet, or because extraction failed) answers 409 naming its status.
		 */
		text: {
			rest: "GET /:id/text",
			params: byId,
			async handler(this: DocumentsThis, ctx: DocumentContext<{ id: string }>): Promise<DocumentText> {
				const id = ctx.params.id.toLowerCase();
				return DocumentCache.text(this.broker, callerOf(ctx).id, id, () => this.readText(ctx, id));
			},
		},

		/** GET /api/v1/documents/:id/content : the original bytes, as a download. */
		content: {
			rest: "GET /:id/content",
			params: byId,
			async handler(this: DocumentsThis, ctx: DocumentContext<{ id: string }>): Promise<Readable> {
				const document = await this.ownDocument(ctx, ctx.params.id);
				ctx.meta.$responseType = document.charset ? `${document.mimeType}; charset=${document.charset}` : document.mimeType;
				ctx.meta.$responseHeaders = {
					"Content-Disposition": attachmentDisposition(document.filename),
					"Content-Length": String(document.size),
					"X-Content-Type-Options": "nosniff",
					// Even if a browser were talked into rendering it, an uploaded HTML file runs nothing.
					"Content-Security-Policy": "default-src 'none'; sandbox",
					"Cache-Control": "private, no-store",
				};
				return this.blobs.read(document.sha256);
			},
		},

		/** DELETE /api/v1/documents/:id -> 204; the stored file goes with the last document that uses it. */
		remove: {
			rest: "DELETE /:id",
			params: byId,
			async handler(this: DocumentsThis, ctx: DocumentContext<{ id: string }>): Promise<null> {
				const user = callerOf(ctx);
				const document = await this.ownDocument(ctx, ctx.params.id);
				await this.sequelize.transaction(async transaction => {
					await this.models.DocumentText.destroy({ where: { documentId: document.id }, transaction });
					const removed = await this.models.Document.destroy({ where: { id: document.id, userId: user.id }, transaction });
					if (removed === 0) throw notFound("Document");
					await releaseBlob(this.sequelize, this.blobs, document.sha256, transaction);
				});
				await DocumentCache.forget(this.broker, user.id, document.id);
				this.broker.emit("documents.deleted", { documentId: document.id, userId: user.id } satisfies DocumentDeletedEvent);
				ctx.meta.$statusCode = 204;
				return null;
			},
		},
	},

	events: {
		/**
		 * A node that left without finishing its extractions: take them over now, not when their leases
		 * run out, once a ping confirms it is gone (a node dropped during a bus blip, or for a stalled
		 * event loop, is still extracting: releasing its jobs would run them twice), as analyses do.
		 */
		async "$node.disconnected"(this: DocumentsThis, ctx: Context<{ node: { id: string } }>) {
			try {
				await this.extractions?.releaseIfGone(ctx.params.node.id);
			} catch (err) {
				this.logger.warn(`Releasing extractions of ${ctx.params.node.id} failed; their leases will run out: ${(err as Error).message}`);
			}
		},
	},

	methods: {

		/** The extracted text, or 409 naming why there is none (yet). */
		async readText(this: DocumentsThis, ctx: DocumentContext, id: string): Promise<DocumentText> {
			const document = await this.ownDocument(ctx, id);
			const status = documentStatus(document);
			if (status === "failed") throw conflict(`The document has no text: extraction failed (${document.lastError ?? "unknown reason"})`);
			if (status !== "ready") throw conflict(`The document's text is not extracted yet (status: ${status}); try again shortly`);
			const record = await this.models.DocumentText.findByPk(document.id);
			if (!record) throw conflict("The document's text is not extracted yet; try again shortly");
			return documentText(record);
		},

		async ownDocument(this: DocumentsThis, ctx: DocumentContext, id: string): Promise<DocumentRecord> {
			return findOwned(this.models.Document, callerOf(ctx).id, id, "Document");
		},

		/** Receives, checks and commits an upload; the extraction job is queued with the document. */
		async store(this: DocumentsThis, stream: Readable, user: AuthenticatedUser, filename: string, analyze: boolean): Promise<DocumentRecord> {
			const { stagingKey, inspection } = await receiveUpload(stream, this.blobs, this.limits.maxUploadBytes);
			let outcome: "stored" | "deduplicated" | undefined;
			let document: DocumentRecord | undefined;
			try {
				const detected = await detectType(inspection, filename);
				document = await this.sequelize.transaction(async transaction => {
					outcome = await attachBlob(this.sequelize, this.blobs, stagingKey, inspection.sha256, inspection.size, transaction);
					return this.models.Document.create(
						{
							id: crypto.randomUUID(),
							userId: user.id,
							filename,
							mimeType: detected.mimeType,
							charset: detected.charset,
							size: inspection.size,
							sha256: inspection.sha256,
							analyze,
							status: "queued",
							runAfter: new Date(),
						},
						{ transaction }
					);
				});
			} finally {
				// Staged bytes survive only when they became the stored content of a committed document.
				if (!document || outcome !== "stored") {
					await this.blobs.discard(stagingKey).catch(err => this.logger.warn(`Discarding staged upload ${stagingKey} failed: ${err.message}`));
				}
			}
			await DocumentCache.forget(this.broker, user.id, document.id);
			this.broker.emit("documents.uploaded", { documentId: document.id, userId: user.id } satisfies DocumentUploadedEvent);
			this.extractions.nudge();
			return document;
		},

		/** Removes staged uploads no live upload owns; never throws (the next sweep tries again). */
		async sweepStaging(this: DocumentsThis): Promise<void> {
			try {
				const swept = await this.blobs.sweepStaging(this.limits.staging);
				if (swept > 0) this.logger.info(`Removed ${swept} staged upload(s) left by an interrupted upload or process`);
			} catch (err) {
				this.logger.warn(`Sweeping stale staged uploads failed: ${(err as Error).message}`);
			}
		},

		/** The extraction job's handler: parse in an extraction process, keep the text; the queue records the outcome. */
		async extract(this: DocumentsThis, document: DocumentRecord, { signal }: JobContext): Promise<void> {
			// Parsers of binary formats need the whole file; of a text file, only what the character limit keeps.
			const length = BINARY_FORMATS.has(document.mimeType) ? document.size : Math.min(document.size, textByteLimit(this.limits.extraction.maxCharacters));
			const bytes = await this.blobs.readStart(document.sha256, length);
			let outcome;
			try {
				outcome = await this.sandbox.run({ bytes, size: document.size, mimeType: document.mimeType, charset: document.charset, limits: this.limits.extraction }, signal);
			} catch (err) {
				if (signal.aborted) throw err;
				if (err instanceof ExtractionLimitError) throw new UnretryableJobError(err.message);
				this.logger.error(`Extracting document ${document.id} failed unexpectedly`, err);
				// The uploader sees this, not the internal error.
				throw new Error("Text extraction failed unexpectedly");
			}
			if (!outcome.ok) throw new UnretryableJobError(outcome.error);
			await this.models.DocumentText.upsert({
				documentId: document.id,
				text: outcome.text,
				chunks: JSON.stringify(outcome.chunks),
				stats: JSON.stringify(outcome.stats),
			});
		},

		/** Every stored status change of an extraction: stale cache entries go, and a finished text is announced. */
		async extractionChanged(this: DocumentsThis, document: DocumentRecord, status: JobStatus): Promise<void> {
			await DocumentCache.forget(this.broker, document.userId, document.id);
			if (status === "succeeded") {
				this.broker.emit("documents.extracted", { documentId: document.id, userId: document.userId, analyze: document.analyze } satisfies DocumentExtractedEvent);
			}
		},
	},

	async started(this: DocumentsThis) {
		const config = platformConfig(this.broker);
		this.limits = documentLimits(config);
		this.blobs = createBlobStore(this.sequelize, config);
		this.sandbox = new ExtractionSandbox(this.limits.sandbox);
		this.extractions = new JobQueue({
			name: "extractions",
			model: this.models.Document,
			owner: this.broker.nodeID,
			concurrency: this.limits.sandbox.processes,
			handler: (document, context) => this.extract(document, context),
			logger: this.logger,
			// Leases of nodes no longer on the bus (a restarted node's predecessor) are released at once.
			ownerGone: leaseOwnerGone(this.broker),
			onStatus: (document, status) => {
				this.extractionChanged(document, status).catch(err => this.logger.warn(`After extraction status ${status} of ${document.id}: ${err.message}`));
			},
		});
		this.extractions.start();
		// At start for what a crash left; then periodically, for what a node that died left (on PostgreSQL
		// every node shares the parts table) and for anything a failed discard left.
		await this.sweepStaging();
		this.stagingSweeper = setInterval(() => void this.sweepStaging(), this.limits.staging.sweepEveryMs);
		this.stagingSweeper.unref();
	},

	async stopped(this: DocumentsThis) {
		clearInterval(this.stagingSweeper);
		await this.extractions?.stop();
		await this.sandbox?.close();
	},
};

export default DocumentsService;
