import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Errors } from "moleculer";
import { logAccess, rememberFailure } from "../../services/api/access-log.ts";
import { captureLogLines } from "../helpers/log-lines.ts";

const { MoleculerClientError, MoleculerError } = Errors;

/** A real HTTP server whose every request is access-logged, answering as `answer` says. */
async function serve(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void, route: { logging?: boolean } = {}) {
	const { logger, lines } = captureLogLines();
	const server = http.createServer((req, res) => {
		logAccess(logger as never, Object.assign(req, { $route: route, $ctx: { requestID: "req-77", meta: { user: { id: "user-3", role: "user" as const, email: "u3@example.com", via: "access-token" as const } } } }), res);
		answer(req, res);
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const close = () => new Promise<void>(resolve => server.close(() => resolve()));
	/** The access line of the one request sent, once written. */
	const accessLine = async () => {
		for (let i = 0; i < 100 && !lines().some(l => l.access); i++) await new Promise(r => setTimeout(r, 10));
		return lines().find(l => l.access)!;
	};
	return { url, close, accessLine };
}

describe("access log", () => {
	it("writes one info line per request: method, path without the query string, status, ms, bytes, request id, user", async () => {
		const server = await serve((_req, res) => res.end("hello"));
		try {
			await (await fetch(`${server.url}/api/v1/documents?token=secret-value`)).text();
			const line = await server.accessLine();
			expect(line).to.include({ level: 30, method: "GET", path: "/api/v1/documents", status: 200, requestId: "req-77", userId: "user-3" });
			expect(line.ms).to.be.a("number").and.at.least(0);
			expect(line.bytes).to.be.above(5); // the headers and "hello"
			expect(JSON.stringify(line)).to.not.contain("secret-value");
		} finally {
			await server.close();
		}
	});

	it("logs a 4xx once at warn, with the error's type and message and no stack", async () => {
		const server = await serve((_req, res) => {
			rememberFailure(res, new MoleculerClientError("Document not found", 404, "NOT_FOUND"));
			res.statusCode = 404;
			res.end("{}");
		});
		try {
			await (await fetch(`${server.url}/api/v1/documents/x`)).text();
			const line = await server.accessLine();
			expect(line).to.include({ level: 40, status: 404 });
			expect(line.error).to.deep.equal({ type: "NOT_FOUND", message: "Document not found" });
			expect(line).to.not.have.property("err");
			expect(JSON.stringify(line)).to.not.contain("    at ");
		} finally {
			await server.close();
		}
	});

	it("logs an expected outage (an open circuit's 502, a 503) at warn without a stack", async () => {
		const server = await serve((_req, res) => {
			rememberFailure(res, new MoleculerError("openai is failing; its circuit is open", 503, "SERVICE_UNAVAILABLE"));
			res.statusCode = 503;
			res.end("{}");
		});
		try {
			await (await fetch(`${server.url}/api/v1/chat`, { method: "POST" })).text();
			const line = await server.accessLine();
			expect(line).to.include({ level: 40, status: 503 });
			expect(JSON.stringify(line)).to.not.contain("    at ");
		} finally {
			await server.close();
		}
	});

	it("logs a 500 at error with the error's stack in `err.stack`, not in the message", async () => {
		const server = await serve((_req, res) => {
			rememberFailure(res, new TypeError("Cannot read properties of undefined (reading 'name')"));
			res.statusCode = 500;
			res.end("{}");
		});
		try {
			await (await fetch(`${server.url}/api/v1/documents`)).text();
			const line = await server.accessLine();
			expect(line).to.include({ level: 50, status: 500 });
			expect(line.err).to.include({ type: "TypeError", message: "Cannot read properties of undefined (reading 'name')" });
			expect(line.err.stack).to.contain("    at ");
			expect(line.msg).to.not.contain("    at ");
		} finally {
			await server.close();
		}
	});

	it("stays quiet for a route that asks for no logging (probes, scrapes) unless it fails", async () => {
		let status = 200;
		const server = await serve((_req, res) => {
			res.statusCode = status;
			res.end();
		}, { logging: false });
		try {
			await (await fetch(`${server.url}/health/live`)).text();
			status = 401;
			await (await fetch(`${server.url}/metrics`)).text();
			const line = await server.accessLine();
			expect(line).to.include({ path: "/metrics", status: 401 });
		} finally {
			await server.close();
		}
	});

	it("adds its listener without tripping Node's leak warning on a response already watched by ten others", async () => {
		const warnings: Error[] = [];
		const onWarning = (warning: Error) => warnings.push(warning);
		process.on("warning", onWarning);
		// The gateway's own listeners (moleculer-web, the upload gate, a chat relay) come before the access log's.
		const crowded = http.createServer((req, res) => {
			for (let i = 0; i < 10; i++) res.once("close", () => {});
			logAccess({ info() {}, warn() {}, error() {} } as never, req, res);
			res.end("ok");
		});
		try {
			await new Promise<void>(resolve => crowded.listen(0, "127.0.0.1", resolve));
			await (await fetch(`http://127.0.0.1:${(crowded.address() as AddressInfo).port}/v1/chat/completions`)).text();
			// Node emits the warning on the next tick.
			await new Promise(resolve => setTimeout(resolve, 20));
			expect(warnings.filter(w => w.name === "MaxListenersExceededWarning").map(w => w.message)).to.deep.equal([]);
		} finally {
			process.off("warning", onWarning);
			await new Promise<void>(resolve => crowded.close(() => resolve()));
		}
	});
});
