import { expect } from "chai";
import type { IncomingMessage } from "node:http";
import type { CallingOptions } from "moleculer";
import { acceptClientRequestId } from "../../services/api/request-id.ts";

const accepted = (headers: Record<string, string>) => {
	const options: CallingOptions = {};
	acceptClientRequestId(options, { headers } as IncomingMessage);
	return options.requestID;
};

describe("the client's request id", () => {
	it("is kept when short and plain: X-Request-ID, or X-Correlation-ID first", () => {
		expect(accepted({ "x-request-id": "my-req-456" })).to.equal("my-req-456");
		expect(accepted({ "x-request-id": "3f1c2a9e-7b7d-4e0f-9a51-0c1d2e3f4a5b" })).to.equal("3f1c2a9e-7b7d-4e0f-9a51-0c1d2e3f4a5b");
		expect(accepted({ "x-request-id": "a", "x-correlation-id": "corr-1" })).to.equal("corr-1");
	});

	it("is replaced by a generated one when too long or not plain, as it travels in every packet and log line", () => {
		expect(accepted({ "x-request-id": "x".repeat(129) })).to.equal(undefined);
		expect(accepted({ "x-request-id": 'a"b' })).to.equal(undefined);
		expect(accepted({ "x-request-id": "a b" })).to.equal(undefined);
		expect(accepted({})).to.equal(undefined);
	});
});
