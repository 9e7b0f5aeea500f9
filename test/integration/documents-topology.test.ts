import { expect } from "chai";
import crypto from "node:crypto";
import pg from "pg";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, type Topology } from "../helpers/topology.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { extractedDocument, pdfDocument, uploadFile, uploadMultipart } from "../helpers/documents.ts";

/** Small, so the over-limit upload is quick; big enough for a file of many transporter chunks. */
const MAX_UPLOAD_BYTES = 3 * 1024 * 1024;

describe("documents across NATS (the gateway and the documents service in separate processes)", function () {
	this.timeout(120_000);
	let db: TestDatabase | undefined;
	let database: pg.Client | undefined;
	let topology: Topology | undefined;
	let user: RegisteredUser;

	const count = async (sql: string) => Number((await database!.query(sql)).rows[0].n);

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		topology = await startTopology(
			{ gateway: ["api"], accounts: ["auth"], docs: ["documents"], workers: ["llm", "optimizer"] },
			{ TRANSPORTER: TEST_NATS_URL, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JWT_SECRET: "documents-topology-secret-0123456789abcdef", MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) }
		);
		database = new pg.Client({ connectionString: db.url });
		await database.connect();
		user = await registerUser(topology.baseUrl);
	});

	after(async () => {
		await database?.end();
		await topology?.stop();
		await db?.drop();
	});

	it("streams an upload to the documents node, extracts it there and streams the original back", async () => {
		const pages = Array.from({ length: 40 }, (_, i) => `Page ${i + 1}: the grid in Lyon gained ${i * 3} new substations this year. `.repeat(20));
		const bytes = await pdfDocument(pages);
		// Noise the PDF compressor cannot shrink, so the file spans many transporter chunks.
		const padded = Buffer.concat([bytes, Buffer.from(`\n%${crypto.randomBytes(1_000_000).toString("base64")}\n`)]);
		const upload = await uploadFile(topology!.baseUrl, user.accessToken, { name: "grid.pdf", bytes: padded });
		expect(upload.status, upload.text).to.equal(201);
		expect(upload.body.sha256).to.equal(crypto.createHash("sha256").update(padded).digest("hex"));
		expect(upload.body.size).to.equal(padded.length);

		const document = await extractedDocument(topology!.baseUrl, user.accessToken, upload.body.id, 60_000);
		expect(document.status, document.error).to.equal("ready");
		const text = await http(topology!.baseUrl, "GET", `/api/v1/documents/${upload.body.id}/text`, { token: user.accessToken });
		expect(text.body.stats.pages).to.equal(40);
		expect(text.body.text).to.include("Page 40: the grid in Lyon gained 117 new substations");

		const content = await fetch(`${topology!.baseUrl}/api/v1/documents/${upload.body.id}/content`, { headers: { authorization: `Bearer ${user.accessToken}` } });
		expect(content.status).to.equal(200);
		expect(content.headers.get("content-disposition")).to.match(/^attachment; filename="grid.pdf"/);
		expect(Buffer.from(await content.arrayBuffer()).equals(padded)).to.equal(true);

		// Stored in PostgreSQL (no shared disk), and gone with the document.
		expect(await count(`SELECT COUNT(*) AS n FROM document_blob_parts WHERE blob_key = '${upload.body.sha256}'`)).to.be.above(1);
		expect((await http(topology!.baseUrl, "DELETE", `/api/v1/documents/${upload.body.id}`, { token: user.accessToken })).status).to.equal(204);
		expect(await count("SELECT COUNT(*) AS n FROM document_blob_parts")).to.equal(0);
		expect(await count("SELECT COUNT(*) AS n FROM document_blobs")).to.equal(0);
	});

	it("stops an upload over the limit with 413 and stores nothing", async () => {
		const res = await uploadMultipart(topology!.baseUrl, user.accessToken, [{ file: "file", filename: "big.txt", content: { bytes: 4 * MAX_UPLOAD_BYTES } }]);
		expect(res.status, res.text).to.equal(413);
		const deadline = Date.now() + 5_000;
		let staged = await count("SELECT COUNT(*) AS n FROM document_blob_parts");
		while (staged > 0 && Date.now() < deadline) {
			await new Promise(r => setTimeout(r, 100));
			staged = await count("SELECT COUNT(*) AS n FROM document_blob_parts");
		}
		expect(staged).to.equal(0);
		expect(await count("SELECT COUNT(*) AS n FROM documents")).to.equal(0);
		// The documents node is still there and working.
		const after = await uploadFile(topology!.baseUrl, user.accessToken, { name: "small.md", bytes: "# Still here\n\nYes." });
		expect(after.status).to.equal(201);
	});
});
