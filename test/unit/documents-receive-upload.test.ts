import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { Sequelize } from "sequelize";
import { FileBlobStore } from "../../services/documents/storage/file-blob-store.ts";
import { receiveUpload } from "../../services/documents/upload/receive-upload.ts";

describe("documents: receiving an upload", () => {
	let dataDir: string;
	let sequelize: Sequelize;
	let store: FileBlobStore;
	const staged = () => (fs.existsSync(path.join(dataDir, "blobs", ".staging")) ? fs.readdirSync(path.join(dataDir, "blobs", ".staging")) : []);

	beforeEach(() => {
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "receive-upload-"));
		sequelize = new Sequelize({ dialect: "sqlite", storage: ":memory:", logging: false });
		store = new FileBlobStore(dataDir, sequelize);
	});

	afterEach(async () => {
		await sequelize.close();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("stages the bytes and reports their hash and size", async () => {
		const { stagingKey, inspection } = await receiveUpload(Readable.from([Buffer.from("hello "), Buffer.from("world")]), store, 100);
		expect(inspection).to.include({ size: 11, sha256: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9" });
		expect(fs.readFileSync(path.join(dataDir, "blobs", ".staging", stagingKey), "utf8")).to.equal("hello world");
	});

	it("answers 413 past the limit and keeps nothing", async () => {
		const error = await receiveUpload(Readable.from([Buffer.alloc(60), Buffer.alloc(60)]), store, 100).catch(err => err);
		expect(error.code).to.equal(413);
		expect(staged()).to.deep.equal([]);
	});

	it("answers 400 when the sender breaks off, and keeps nothing", async () => {
		const source = new Readable({ read() {} });
		source.push(Buffer.from("the first part arrived"));
		setTimeout(() => source.destroy(new Error("Unexpected end of form")), 20);
		const error = await receiveUpload(source, store, 1000).catch(err => err);
		expect(error).to.include({ code: 400, message: "The upload was interrupted before the whole file arrived" });
		expect(staged()).to.deep.equal([]);
	});

	it("passes a storage failure on as a server error, and keeps nothing", async () => {
		// The staging directory vanishes before the file is opened: the write fails on our side.
		const failing = {
			stage: async () => {
				const area = await store.stage();
				fs.rmSync(path.join(dataDir, "blobs", ".staging"), { recursive: true });
				return area;
			},
			discard: (key: string) => store.discard(key),
		};
		const error = await receiveUpload(Readable.from([Buffer.from("data")]), failing as never, 1000).catch(err => err);
		expect(error.code).to.equal("ENOENT");
		expect(staged()).to.deep.equal([]);
	});
});
