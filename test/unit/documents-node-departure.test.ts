import { expect } from "chai";
import DocumentsService from "../../services/documents/documents.service.ts";

type Handler = (this: unknown, ctx: { params: { node: { id: string } } }) => Promise<void> | void;

/**
 * A node reported gone may only have been dropped for a moment (a bus blip, a stalled event loop)
 * and still be extracting: its extractions are released only once a ping confirms it has left
 * (JobQueue.releaseIfGone, as analyses and studies do), never straight away.
 */
describe("documents: a departed node's extractions", () => {
	const handler = (DocumentsService.events as Record<string, Handler>)["$node.disconnected"];

	it("are released through releaseIfGone, not expireLeasesOf", async () => {
		const released: string[] = [];
		const self = {
			extractions: {
				releaseIfGone: async (owner: string) => (released.push(owner), 0),
				expireLeasesOf: async () => {
					throw new Error("released without asking whether the node is gone");
				},
			},
			logger: { warn: (message: string) => expect.fail(message) },
		};
		await handler.call(self, { params: { node: { id: "docs-2" } } });
		expect(released).to.deep.equal(["docs-2"]);
	});

	it("a failed release is logged, not thrown", async () => {
		const warnings: string[] = [];
		const self = {
			extractions: { releaseIfGone: async () => Promise.reject(new Error("database unreachable")) },
			logger: { warn: (message: string) => warnings.push(message) },
		};
		await handler.call(self, { params: { node: { id: "docs-2" } } });
		expect(warnings.join()).to.include("database unreachable");
	});
});
