import { expect } from "chai";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Context, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import { BACKENDS, usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import {
	CSV_TEXT,
	HTML_PAGE,
	JSON_TEXT,
	MARKDOWN_TEXT,
	docxDocument,
	docxZipBomb,
	encodedText,
	extractedDocument,
	pdfDocument,
	pdfWithBlankPages,
	uploadAndExtract,
	uploadFile,
	uploadMultipart,
	type UploadFile,
} from "../helpers/documents.ts";

const DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

interface ReceivedEvent {
	name: string;
	payload: Record<string, unknown>;
}

/** Stands in for the services that listen to documents events (analyses): records what arrives. */
function eventRecorder(events: ReceivedEvent[]): ServiceSchema {
	const record = (name: string) => (ctx: Context<Record<string, unknown>>) => void events.push({ name, payload: ctx.params });
	return {
		name: "documents-event-recorder",
		events: { "documents.uploaded": record("documents.uploaded"), "documents.extracted": record("documents.extracted"), "documents.deleted": record("documents.deleted") },
	};
}

async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (done(value)) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 50));
	}
}

for (const backend of BACKENDS) {
	describe(`documents (${backend.name})`, function () {
		this.timeout(90_000);
		const events: ReceivedEvent[] = [];
		const platform = usePlatform(backend, { extraServices: [eventRecorder(events)] });
		let alice: RegisteredUser;
		let bob: RegisteredUser;

		const get = (url: string, token = alice.accessToken) => http(platform.baseUrl, "GET", url, { token });
		const documentsService = () => platform.broker.getLocalService("documents") as unknown as { sequelize: Sequelize; extractions: { stop(): Promise<void>; start(): void } };
		const count = async (sql: string) => Number(((await documentsService().sequelize.query(sql, { plain: true })) as { n: number | string }).n);

		/** What storage holds: registered contents, their bytes, and uploads still staged. */
		async function storage() {
			const blobs = await count("SELECT COUNT(*) AS n FROM document_blobs");
			if (backend.requires.includes("postgres")) {
				return { blobs, stored: await count("SELECT COUNT(DISTINCT blob_key) AS n FROM document_blob_parts WHERE blob_key NOT LIKE 'staging:%'"), staged: await count("SELECT COUNT(*) AS n FROM document_blob_parts WHERE blob_key LIKE 'staging:%'") };
			}
			const root = path.join(platform.dataDir, "blobs");
			const files = fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]) : [];
			return {
				blobs,
				stored: files.filter(f => /^[0-9a-f]{64}$/.test(path.basename(f))).length,
				staged: files.filter(f => f.startsWith(`.staging${path.sep}`)).length,
			};
		}

		/**
		 * A bad upload leaves nothing behind: same documents, same stored contents, nothing staged.
		 * The gateway may answer a refused stream before the action has removed what it staged, so
		 * storage is given a moment to settle.
		 */
		async function expectNothingStored(action: () => Promise<void>): Promise<void> {
			const before = { total: (await get("/api/v1/documents")).body.total, storage: await storage() };
			await action();
			expect((await get("/api/v1/documents")).body.total, "documents").to.equal(before.total);
			const expected = JSON.stringify({ ...before.storage, staged: 0 });
			const after = await eventually(storage, now => JSON.stringify(now) === expected, "storage to settle", 5_000).catch(() => storage());
			expect(after, "storage").to.deep.equal({ ...before.storage, staged: 0 });
		}

		before(async () => {
			alice = await registerUser(platform.baseUrl);
			bob = await registerUser(platform.baseUrl);
		});

		describe("formats", () => {
			const cases: { file: () => Promise<UploadFile>; mimeType: string; charset: string | null; contains: string[]; pages?: number; language?: string }[] = [
				{
					file: async () => ({ name: "report.pdf", type: "application/pdf", bytes: await pdfDocument(["Solar output grew by twelve percent in the third quarter of the year.", "Battery storage in Oslo doubled."]) }),
					mimeType: "application/pdf",
					charset: null,
					contains: ["Solar output grew by twelve percent", "\n\nBattery storage in Oslo doubled."],
					pages: 2,
				},
				{
					file: async () => ({ name: "letter.docx", bytes: await docxDocument([{ heading: "Quarterly Report", paragraphs: ["Revenue grew by twelve percent."] }, { heading: "Outlook", paragraphs: ["Steady growth is expected."] }]) }),
					mimeType: DOCX_TYPE,
					charset: null,
					contains: ["# Quarterly Report\n\nRevenue grew by twelve percent.", "# Outlook"],
				},
				{ file: async () => ({ name: "page.html", type: "text/html", bytes: HTML_PAGE }), mimeType: "text/html", charset: "utf-8", contains: ["# Solar output", "12 percent"] },
				{ file: async () => ({ name: "plan.md", bytes: MARKDOWN_TEXT }), mimeType: "text/markdown", charset: "utf-8", contains: ["# Project plan", "- Supplier delays"] },
				{ file: async () => ({ name: "sites.csv", type: "text/csv", bytes: CSV_TEXT }), mimeType: "text/csv", charset: "utf-8", contains: ['Beta,"Oslo, Norway",315'] },
				{ file: async () => ({ name: "status.json", type: "application/json", bytes: JSON_TEXT }), mimeType: "application/json", charset: "utf-8", contains: ['"title": "Grid status"', '"id": 12345678901234567890'] },
				{
					file: async () => ({ name: "notes.txt", bytes: await encodedText("Café crème brûlée — “quoted” and 5 €. ".repeat(5), "win1252") }),
					mimeType: "text/plain",
					charset: "windows-1252",
					contains: ["Café crème brûlée — “quoted” and 5 €."],
				},
				{
					file: async () => ({ name: "japanese.txt", bytes: await encodedText("これは日本語のテスト文書です。東京は日本の首都です。今日は天気がいいですね。".repeat(3), "shift_jis") }),
					mimeType: "text/plain",
					charset: "shift_jis",
					contains: ["東京は日本の首都です。"],
					language: "jpn",
				},
				{
					file: async () => ({ name: "wide.txt", bytes: await encodedText("The committee approved the budget for the new solar farm after a long debate about costs, benefits and the timeline.", "utf16le", { bom: true }) }),
					mimeType: "text/plain",
					charset: "utf-16le",
					contains: ["The committee approved the budget"],
					language: "eng",
				},
			];
			for (const c of cases) {
				it(`uploads ${c.mimeType}${c.charset ? ` (${c.charset})` : ""} and extracts its text`, async () => {
					const file = await c.file();
					const bytes = Buffer.from(file.bytes);
					const upload = await uploadFile(platform.baseUrl, alice.accessToken, file);
					expect(upload.status, upload.text).to.equal(201);
					expect(upload.headers.get("location")).to.equal(`/api/v1/documents/${upload.body.id}`);
					expect(upload.body).to.include({ filename: file.name, mimeType: c.mimeType, size: bytes.length, sha256: crypto.createHash("sha256").update(bytes).digest("hex"), status: "uploaded", charset: c.charset });
					expect(Date.parse(upload.body.createdAt)).to.be.closeTo(Date.now(), 60_000);

					const document = await extractedDocument(platform.baseUrl, alice.accessToken, upload.body.id);
					expect(document).to.include({ status: "ready", error: null });
					const text = await get(`/api/v1/documents/${upload.body.id}/text`);
					expect(text.status).to.equal(200);
					for (const fragment of c.contains) expect(text.body.text).to.include(fragment);
					expect(text.body.chunks.length).to.be.at.least(1);
					for (const chunk of text.body.chunks) expect(chunk.text).to.equal(text.body.text.slice(chunk.start, chunk.end));
					expect(text.body.stats).to.include({ pages: c.pages ?? null, characters: [...text.body.text].length, truncated: false });
					if (c.language) expect(text.body.stats.language).to.equal(c.language);
				});
			}
		});

		describe("reading and deleting", () => {
			it("lists the caller's documents newest first, with limit, offset and total, and sees each change at once", async () => {
				const uploaded: string[] = [];
				for (let i = 0; i < 3; i++) {
					const before = await get("/api/v1/documents?limit=1&offset=0", bob.accessToken);
					const upload = await uploadFile(platform.baseUrl, bob.accessToken, { name: `list-${i}.txt`, bytes: `list entry ${i}` });
					uploaded.unshift(upload.body.id);
					const after = await get("/api/v1/documents?limit=1&offset=0", bob.accessToken);
					expect(after.body.total).to.equal((before.body.total as number) + 1);
					expect(after.body.items[0].id).to.equal(upload.body.id);
				}
				const page = await get("/api/v1/documents?limit=2&offset=1", bob.accessToken);
				expect(page.body.items.map((d: { id: string }) => d.id)).to.deep.equal(uploaded.slice(1, 3));
				for (const query of ["limit=0", "limit=101", "offset=-1", "limit=abc"]) {
					expect((await get(`/api/v1/documents?${query}`, bob.accessToken)).status, query).to.equal(422);
				}
			});

			it("serves the original bytes as an attachment that browsers will not render", async () => {
				const bytes = await encodedText("Grüße aus München, in Latin-1. ".repeat(4), "latin1");
				const upload = await uploadFile(platform.baseUrl, alice.accessToken, { name: "Grüße <script>.txt", bytes });
				const res = await fetch(`${platform.baseUrl}/api/v1/documents/${upload.body.id}/content`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
				expect(res.status).to.equal(200);
				expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).to.equal(true);
				expect(res.headers.get("content-type")).to.equal("text/plain; charset=windows-1252");
				expect(res.headers.get("content-length")).to.equal(String(bytes.length));
				expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
				expect(res.headers.get("content-disposition")).to.equal(`attachment; filename="Gr__e _script_.txt"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20_script_.txt`);
				expect(res.headers.get("content-security-policy")).to.match(/sandbox/);
			});

			it("stores identical bytes once and removes them with the last document that uses them", async () => {
				const bytes = Buffer.from(`shared content ${crypto.randomUUID()}`);
				const before = await storage();
				const first = await uploadFile(platform.baseUrl, alice.accessToken, { name: "one.txt", bytes });
				const second = await uploadFile(platform.baseUrl, bob.accessToken, { name: "two.txt", bytes });
				expect(second.body.sha256).to.equal(first.body.sha256);
				expect(await storage()).to.deep.equal({ blobs: before.blobs + 1, stored: before.stored + 1, staged: 0 });

				const removed = await http(platform.baseUrl, "DELETE", `/api/v1/documents/${first.body.id}`, { token: alice.accessToken });
				expect(removed.status).to.equal(204);
				expect(removed.text).to.equal("");
				expect((await get(`/api/v1/documents/${first.body.id}`)).status).to.equal(404);
				expect((await get(`/api/v1/documents/${first.body.id}`)).status).to.equal(404);
				// Bob's copy still reads.
				const content = await http(platform.baseUrl, "GET", `/api/v1/documents/${second.body.id}/content`, { token: bob.accessToken });
				expect(content.text).to.equal(bytes.toString());
				expect(await storage()).to.deep.equal({ blobs: before.blobs + 1, stored: before.stored + 1, staged: 0 });

				expect((await http(platform.baseUrl, "DELETE", `/api/v1/documents/${second.body.id}`, { token: bob.accessToken })).status).to.equal(204);
				expect(await storage()).to.deep.equal(before);
				expect((await http(platform.baseUrl, "DELETE", `/api/v1/documents/${second.body.id}`, { token: bob.accessToken })).status).to.equal(404);
			});

			it("answers 404 for another user's document everywhere, even when its owner's reads are cached", async () => {
				const document = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "private.md", bytes: MARKDOWN_TEXT });
				for (const suffix of ["", "/text"]) expect((await get(`/api/v1/documents/${document.id}${suffix}`)).status).to.equal(200);
				for (const suffix of ["", "/text", "/content"]) {
					const res = await get(`/api/v1/documents/${document.id}${suffix}`, bob.accessToken);
					expect(res.status, suffix).to.equal(404);
					expect(res.body).to.deep.equal({ error: { type: "NOT_FOUND", message: "Document not found", code: 404 } });
				}
				expect((await http(platform.baseUrl, "DELETE", `/api/v1/documents/${document.id}`, { token: bob.accessToken })).status).to.equal(404);
				expect((await get("/api/v1/documents?limit=100", bob.accessToken)).body.items.map((d: { id: string }) => d.id)).not.to.include(document.id);
				for (const id of ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --"]) {
					expect((await get(`/api/v1/documents/${encodeURIComponent(id)}`)).status, id).to.equal(404);
				}
				expect((await http(platform.baseUrl, "GET", `/api/v1/documents/${document.id}`)).status).to.equal(401);
			});

			it("answers 409 with the status while the text is not extracted, and extracts the upload once work resumes", async () => {
				await documentsService().extractions.stop();
				let upload;
				try {
					upload = await uploadFile(platform.baseUrl, alice.accessToken, { name: "later.txt", bytes: "Extracted only once the queue runs again." });
					const text = await get(`/api/v1/documents/${upload.body.id}/text`);
					expect(text.status).to.equal(409);
					expect(text.body.error).to.deep.equal({ type: "CONFLICT", message: "The document's text is not extracted yet (status: uploaded); try again shortly", code: 409 });
				} finally {
					documentsService().extractions.start();
				}
				expect(await extractedDocument(platform.baseUrl, alice.accessToken, upload.body.id)).to.include({ status: "ready" });
				expect((await get(`/api/v1/documents/${upload.body.id}/text`)).body.text).to.equal("Extracted only once the queue runs again.");
			});

			it("announces uploads, extractions and deletions, with analyze=true from the query or a field before the file", async () => {
				const ofDocument = (id: string) => events.filter(e => e.payload.documentId === id);
				const viaQuery = await uploadFile(platform.baseUrl, alice.accessToken, { name: "q.txt", bytes: "analyse me, via the query" }, { query: "analyze=true" });
				const viaField = await uploadFile(platform.baseUrl, alice.accessToken, { name: "f.txt", bytes: "analyse me, via a field" }, { fields: { analyze: "true" } });
				const fieldAfterFile = await uploadMultipart(platform.baseUrl, alice.accessToken, [
					{ file: "file", filename: "late.txt", content: Buffer.from("the analyze field comes too late") },
					{ field: "analyze", value: "true" },
				]);
				const plain = await uploadFile(platform.baseUrl, alice.accessToken, { name: "p.txt", bytes: "no analysis asked" });
				const expected: [string, boolean][] = [
					[viaQuery.body.id, true],
					[viaField.body.id, true],
					[fieldAfterFile.body.id, false],
					[plain.body.id, false],
				];
				for (const [id, analyze] of expected) {
					const received = await eventually(() => ofDocument(id), list => list.length >= 2, `events of ${id}`);
					expect(received).to.deep.equal([
						{ name: "documents.uploaded", payload: { documentId: id, userId: alice.user.id } },
						{ name: "documents.extracted", payload: { documentId: id, userId: alice.user.id, analyze } },
					]);
				}
				await http(platform.baseUrl, "DELETE", `/api/v1/documents/${plain.body.id}`, { token: alice.accessToken });
				const deleted = await eventually(() => ofDocument(plain.body.id), list => list.length >= 3, "the deletion event");
				expect(deleted[2]).to.deep.equal({ name: "documents.deleted", payload: { documentId: plain.body.id, userId: alice.user.id } });
				expect((await uploadFile(platform.baseUrl, alice.accessToken, { name: "x.txt", bytes: "x" }, { query: "analyze=perhaps" })).status).to.equal(422);
			});

			it("keeps the user's file name as display metadata only, without its path", async () => {
				const upload = await uploadMultipart(platform.baseUrl, alice.accessToken, [{ file: "file", filename: "..\\..\\..\\etc\\evil\u202Etxt.md", content: Buffer.from("# traversal") }]);
				expect(upload.status, upload.text).to.equal(201);
				expect(upload.body.filename).to.equal("eviltxt.md");
				const root = path.join(platform.dataDir, "blobs");
				if (fs.existsSync(root)) for (const file of fs.readdirSync(root, { recursive: true }) as string[]) expect(file).not.to.match(/evil/);
			});
		});

		describe("bad input", () => {
			const refused = (status: number, type: string, message: RegExp) => (res: { status: number; body: { error?: { type: string; message: string } }; text: string }) => {
				expect(res.status, res.text).to.equal(status);
				expect(res.body.error?.type).to.equal(type);
				expect(res.body.error?.message).to.match(message);
			};

			it("a zero-byte file: 422", () =>
				expectNothingStored(async () => refused(422, "VALIDATION_ERROR", /empty/)(await uploadFile(platform.baseUrl, alice.accessToken, { name: "empty.txt", bytes: Buffer.alloc(0) }))));

			it("no file at all, only a field, or the file in another field: 4xx", () =>
				expectNothingStored(async () => {
					expect((await uploadMultipart(platform.baseUrl, alice.accessToken, [])).status).to.equal(400);
					expect((await uploadMultipart(platform.baseUrl, alice.accessToken, [{ field: "analyze", value: "true" }])).status).to.equal(400);
					refused(422, "VALIDATION_ERROR", /field `file`, not `document`/)(await uploadMultipart(platform.baseUrl, alice.accessToken, [{ file: "document", filename: "a.txt", content: Buffer.from("hello") }]));
				}));

			it("binary data labelled text/plain: 415", () =>
				expectNothingStored(async () => refused(415, "UNSUPPORTED_MEDIA_TYPE", /binary data/)(await uploadFile(platform.baseUrl, alice.accessToken, { name: "notes.txt", type: "text/plain", bytes: crypto.randomBytes(20_000) }))));

			it("an executable named .pdf: 415", () =>
				expectNothingStored(async () => {
					const exe = Buffer.alloc(1024);
					exe.write("MZ", 0, "latin1");
					exe.writeUInt32LE(0x80, 0x3c);
					exe.write("PE\0\0", 0x80, "latin1");
					refused(415, "UNSUPPORTED_MEDIA_TYPE", /x-msdownload/)(await uploadFile(platform.baseUrl, alice.accessToken, { name: "invoice.pdf", type: "application/pdf", bytes: exe }));
				}));

			it("invalid UTF-8: 422 naming where", () =>
				expectNothingStored(async () => {
					const bytes = Buffer.concat([Buffer.from("Grüße aus München. 東京タワー. ".repeat(20)), Buffer.from([0xc3, 0x28]), Buffer.from(" the rest")]);
					refused(422, "VALIDATION_ERROR", /not valid UTF-8: the first invalid byte is at offset \d+/)(await uploadFile(platform.baseUrl, alice.accessToken, { name: "broken.txt", bytes }));
				}));

			it("100 MB on a 25 MB limit: 413, stopped while streaming", () =>
				expectNothingStored(async () => {
					const res = await uploadMultipart(platform.baseUrl, alice.accessToken, [{ file: "file", filename: "huge.txt", content: { bytes: 100 * 1024 * 1024 } }]);
					refused(413, "PAYLOAD_TOO_LARGE", /too large|upload limit/)(res);
				}));

			it("two files in one upload: 422 saying one file per upload, and neither is stored", () =>
				expectNothingStored(async () => {
					const res = await uploadMultipart(platform.baseUrl, alice.accessToken, [
						{ file: "file", filename: "one.txt", content: Buffer.from("first file of two") },
						// The first file has visibly ended and had time to be stored before the second arrives.
						{ pauseMs: 400 },
						{ file: "file", filename: "two.txt", content: Buffer.from("second file of two") },
					]);
					refused(422, "VALIDATION_ERROR", /exactly one file per upload/)(res);
					await new Promise(r => setTimeout(r, 300)); // what a late commit of the first file would need
				}));

			it("two files arriving together (one write): the same 422, nothing stored, the service still answers", () =>
				expectNothingStored(async () => {
					const res = await uploadMultipart(platform.baseUrl, alice.accessToken, [
						{ file: "file", filename: "one.txt", content: Buffer.from("first file of two") },
						{ file: "file", filename: "two.txt", content: Buffer.from("second file of two") },
					]);
					refused(422, "VALIDATION_ERROR", /exactly one file per upload/)(res);
					await new Promise(r => setTimeout(r, 300));
					expect((await get("/api/v1/documents")).status).to.equal(200);
				}));

			it("a client that breaks off after the whole file, before the request ends: nothing stored", () =>
				expectNothingStored(async () => {
					const res = await uploadMultipart(platform.baseUrl, alice.accessToken, [
						{ file: "file", filename: "whole.txt", content: Buffer.from("a whole file, then the connection drops") },
						{ pauseMs: 400 },
						{ breakOff: true },
					]);
					expect(res.status).to.equal(0);
					await new Promise(r => setTimeout(r, 300));
				}));

			it("a JSON body instead of multipart: 415", () =>
				expectNothingStored(async () => {
					const res = await http(platform.baseUrl, "POST", "/api/v1/documents", { token: alice.accessToken, body: { file: "not a file" } });
					refused(415, "UNSUPPORTED_MEDIA_TYPE", /multipart\/form-data/)(res);
				}));

			const failsDuringExtraction: { name: string; file: () => Promise<UploadFile>; reason: RegExp }[] = [
				{ name: "a truncated PDF", file: async () => ({ name: "cut.pdf", bytes: (await pdfDocument(["Text that is cut off halfway through the file."])).subarray(0, 900) }), reason: /damaged or incomplete/ },
				{ name: "an encrypted PDF", file: async () => ({ name: "locked.pdf", bytes: await pdfDocument(["Secret"], { userPassword: "pw" }) }), reason: /password-protected/ },
				{ name: "a PDF with a huge page count", file: async () => ({ name: "pages.pdf", bytes: pdfWithBlankPages(20_000) }), reason: /has 20000 pages; at most 2000/ },
				{
					name: "a corrupt DOCX",
					file: async () => {
						const docx = await docxDocument([{ paragraphs: ["Hello"] }]);
						return { name: "corrupt.docx", bytes: docx.subarray(0, docx.length - 40) };
					},
					reason: /damaged/,
				},
				{ name: "a DOCX zip bomb", file: async () => ({ name: "bomb.docx", bytes: docxZipBomb(50 * 1024 * 1024) }), reason: /decompression bomb/ },
			];
			for (const c of failsDuringExtraction) {
				it(`${c.name}: accepted, then failed with a readable reason`, async () => {
					const upload = await uploadFile(platform.baseUrl, alice.accessToken, await c.file());
					expect(upload.status, upload.text).to.equal(201);
					const document = await extractedDocument(platform.baseUrl, alice.accessToken, upload.body.id, 60_000);
					expect(document.status).to.equal("failed");
					expect(document.error).to.match(c.reason);
					const text = await get(`/api/v1/documents/${upload.body.id}/text`);
					expect(text.status).to.equal(409);
					expect(text.body.error.message).to.match(c.reason);
				});
			}

			it("leaves the platform healthy", async () => {
				expect((await http(platform.baseUrl, "GET", "/health/ready")).status).to.equal(200);
				const document = await uploadAndExtract(platform.baseUrl, alice.accessToken, { name: "after.md", bytes: "# Still working\n\nYes." });
				expect(document.status).to.equal("ready");
			});
		});
	});
}
