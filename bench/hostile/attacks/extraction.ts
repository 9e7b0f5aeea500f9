/**
 * Decompression bombs against text extraction: what the platform answers (the document's final
 * status and reason), and what its memory and a bystander saw meanwhile.
 */
import type { HostileAttack } from "../attack.ts";
import { extractedDocument, pdfDocument, uploadAndExtract, uploadFile, type UploadFile } from "../../../test/helpers/documents.ts";
import { docxBomb, pdfBomb } from "../../../test/helpers/hostile-documents.ts";
import { registerUser } from "../../../test/helpers/users.ts";
import { untilRouted } from "../../../test/helpers/routed.ts";

const MB = 1024 * 1024;

interface Prepared {
	token: string;
	file: UploadFile;
}

function bomb(name: string, build: () => Promise<UploadFile>): HostileAttack {
	return {
		name,
		async setup(baseUrl) {
			await untilRouted(baseUrl);
			const { accessToken: token } = await registerUser(baseUrl);
			// One ordinary document first, so the upload path's modules are loaded before the baseline is taken.
			await uploadAndExtract(baseUrl, token, { name: "warm-up.pdf", bytes: await pdfDocument(["An ordinary page."]) }, 60_000);
			return { token, file: await build() } satisfies Prepared;
		},
		async run(baseUrl, prepared) {
			const { token, file } = prepared as Prepared;
			const upload = await uploadFile(baseUrl, token, file);
			if (upload.status !== 201) return `${upload.status} ${upload.body?.error?.code ?? upload.text.slice(0, 60)}`;
			const document = await extractedDocument(baseUrl, token, upload.body.id, 180_000);
			return `201, document ${document.status}: ${document.error ?? ""}`;
		},
	};
}

export default [
	bomb("extraction: PDF bomb (350 KB -> 256 MiB content stream)", async () => ({ name: "bomb.pdf", bytes: await pdfBomb(256 * MB) })),
	bomb("extraction: DOCX bomb (3 MB -> 262 MB XML at 82:1)", async () => ({ name: "bomb.docx", bytes: await docxBomb(262_000_000) })),
] satisfies HostileAttack[];
