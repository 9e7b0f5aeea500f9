import { expect } from "chai";
import { SseParser } from "../../console/src/sse-parser.ts";

describe("console: server-sent events parser", () => {
	it("dispatches events at blank lines, with names, ids and multi-line data", () => {
		const parser = new SseParser();
		const events = parser.push("event: progress\nid: 7\ndata: {\"done\":1}\n\ndata: line one\ndata: line two\n\n");
		expect(events).to.deep.equal([
			{ event: "progress", id: "7", data: '{"done":1}' },
			{ event: "message", id: "7", data: "line one\nline two" },
		]);
	});

	it("joins events split anywhere across chunks, including between CR and LF", () => {
		const text = "event: completed\r\ndata: {\"status\":\"succeeded\"}\r\n\r\n";
		for (let cut = 1; cut < text.length; cut++) {
			const parser = new SseParser();
			const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
			expect(events, `cut at ${cut}`).to.deep.equal([{ event: "completed", data: '{"status":"succeeded"}' }]);
		}
	});

	it("ignores comments (keep-alives), unknown fields and events without data", () => {
		const parser = new SseParser();
		expect(parser.push(": ping\n\nretry: 1000\nfoo: bar\n\nevent: lonely\n\n")).to.deep.equal([]);
		// The lonely event name must not leak into the next event.
		expect(parser.push("data: x\n\n")).to.deep.equal([{ event: "message", data: "x" }]);
	});

	it("keeps a value's spaces after the first, and a field without a colon as empty", () => {
		const parser = new SseParser();
		expect(parser.push("data:  two spaces\ndata\n\n")).to.deep.equal([{ event: "message", data: " two spaces\n" }]);
	});

	it("waits for the blank line: an unfinished event is not dispatched", () => {
		const parser = new SseParser();
		expect(parser.push("data: half")).to.deep.equal([]);
		expect(parser.push("\n")).to.deep.equal([]);
		expect(parser.push("\n")).to.deep.equal([{ event: "message", data: "half" }]);
	});
});
