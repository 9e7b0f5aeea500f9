/**
 * Decompression bombs against text extraction (issue 13, item 2): a PDF whose content stream
 * inflates to 256 MiB and a DOCX with 262 MB of XML at about 82:1. Each must end `failed` with a
 * reason a person understands, while the platform's own memory stays under its 512 MB budget and
 * comes back to where it was, and another client is answered all along. Before the sandbox, the
 * PDF drove the platform to 800 MB and the DOCX to 936 MB.
 */
import { expect } from "chai";
import { startHostilePlatform, withBystander, sampleRss, rssSettles, type HostilePlatform } from "../helpers/hostile.ts";
import { extractedDocument, pdfDocument, uploadAndExtract, uploadFile, type UploadFile } from "../helpers/documents.ts";
import { docxBomb, pdfBomb } from "../helpers/hostile-documents.ts";
import { registerUser } from "../helpers/users.ts";
import { untilRouted } from "../helpers/routed.ts";
import { stopAllChildren } from "../helpers/child-processes.ts";

const MB = 1024 * 1024;

describe("hostile: extraction bombs", function () {
	this.timeout(240_000);
	let platform: HostilePlatform;
	let token: string;

	before(async () => {
		platform = await startHostilePlatform();
		await untilRouted(platform.baseUrl);
		token = (await registerUser(platform.baseUrl)).accessToken;
		// The upload path's modules load on first use: measure the bombs against a platform that has seen one document.
		const warm = await uploadAndExtract(platform.baseUrl, token, { name: "warm-up.pdf", bytes: await pdfDocument(["An ordinary page."]) }, 60_000);
		expect(warm.status).to.equal("ready");
	});

	after(async () => {
		await platform?.stop();
		await stopAllChildren();
	});

	async function bombard(file: UploadFile): Promise<void> {
		await new Promise(resolve => setTimeout(resolve, 1_000));
		const baselineMb = platform.rssMb();
		const rss = sampleRss(platform.pid);
		const { result: document, bystander } = await withBystander(platform.baseUrl, async () => {
			const upload = await uploadFile(platform.baseUrl, token, file);
			expect(upload.status, upload.text).to.equal(201);
			return extractedDocument(platform.baseUrl, token, upload.body.id, 180_000);
		});
		const peakMb = rss.stop();
		expect(peakMb, `peak RSS ${peakMb.toFixed(0)} MB`).to.be.below(512);
		expect(document.status).to.equal("failed");
		expect(document.error).to.equal("The document expands to more than 48 MB of content when unpacked; it is too large to extract or a decompression bomb");
		expect(await rssSettles(platform.pid, baselineMb, 20, 30_000), `RSS ${platform.rssMb().toFixed(0)} MB after, ${baselineMb.toFixed(0)} MB before`).to.equal(true);
		// Generous: only a platform that parses in its own event loop or swaps keeps a bystander waiting seconds.
		expect(bystander.failures).to.equal(0);
		expect(bystander.worstMs, `bystander worst ${bystander.worstMs.toFixed(0)} ms`).to.be.below(2_000);
	}

	it("a 350 KB PDF whose content stream inflates to 256 MiB ends failed with the reason", async () => {
		await bombard({ name: "bomb.pdf", bytes: await pdfBomb(256 * MB) });
	});

	it("a 3 MB DOCX with 262 MB of XML at about 82:1 ends failed with the reason", async () => {
		await bombard({ name: "bomb.docx", bytes: await docxBomb(262_000_000) });
	});

	it("extracts an ordinary document after the bombs", async () => {
		const document = await uploadAndExtract(platform.baseUrl, token, { name: "after.pdf", bytes: await pdfDocument(["Life goes on after the bombs."]) }, 60_000);
		expect(document.status).to.equal("ready");
	});
});
