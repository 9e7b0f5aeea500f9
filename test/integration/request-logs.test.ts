import { expect } from "chai";
import { requireServices, TEST_NATS_URL, TEST_REDIS_URL } from "../helpers/backing-services.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startTopology, type Topology } from "../helpers/topology.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";
import { closeAll, fakeProviderEnv, startFakeOpenAI, type FakeProvider } from "../helpers/fake-providers/index.ts";

type LogLine = Record<string, any>;

/**
 * Every JSON line a process writes from now on (the topology keeps only its last chunks, and a
 * process at debug writes many).
 */
function collectLines(topology: Topology, name: string): () => LogLine[] {
	const lines: LogLine[] = [];
	let partial = "";
	const keep = (chunk: Buffer) => {
		const text = partial + chunk.toString();
		const parts = text.split("\n");
		partial = parts.pop() ?? "";
		for (const part of parts) {
			try {
				lines.push(JSON.parse(part));
			} catch {
				// not a log line
			}
		}
	};
	const child = topology.processes.get(name)!.child;
	child.stdout?.on("data", keep);
	child.stderr?.on("data", keep);
	return () => lines;
}

async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = find();
		if (found !== undefined) return found;
		if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

describe("request logs across NATS (gateway, auth and documents in separate processes)", function () {
	this.timeout(120_000);
	let db: TestDatabase | undefined;
	let topology: Topology | undefined;
	let user: RegisteredUser;
	let openai: FakeProvider | undefined;
	const logs: Record<string, () => LogLine[]> = {};

	before(async function () {
		await requireServices(this, "postgres", "redis", "nats");
		db = await createTestDatabase();
		openai = await startFakeOpenAI();
		topology = await startTopology(
			{ gateway: ["api"], accounts: ["auth"], docs: ["documents"], workers: ["llm", "optimizer"] },
			{
				TRANSPORTER: TEST_NATS_URL,
				DATABASE_URL: db.url,
				REDIS_URL: TEST_REDIS_URL,
				JWT_SECRET: "request-logs-secret-0123456789abcdef0123",
				LOG_LEVEL: "debug",
				...fakeProviderEnv({ openai }),
				// Two failures open the circuit, and it stays open for the test.
				LLM_RETRIES: "0",
				LLM_CIRCUIT_FAILURES: "2",
				LLM_CIRCUIT_RESET_MS: "600000",
			}
		);
		for (const name of ["gateway", "accounts", "docs", "workers"]) logs[name] = collectLines(topology, name);
		user = await registerUser(topology.baseUrl);
	});

	after(async () => {
		await topology?.stop();
		await closeAll({ openai });
		await db?.drop();
	});

	const withId = (name: string, requestId: string) => logs[name]().filter(line => line.requestId === requestId);

	it("carries the client's X-Request-ID into the lines of every process that served the upload, with an access line", async () => {
		const requestId = `my-req-${Date.now()}`;
		const form = new FormData();
		form.append("file", new Blob(["The grid in Lyon gained 12 substations."], { type: "text/plain" }), "grid.txt");
		const res = await http(topology!.baseUrl, "POST", "/api/v1/documents?note=secret-in-query", { token: user.accessToken, raw: form, headers: { "X-Request-ID": requestId } });
		expect(res.status, res.text).to.equal(201);
		expect(res.headers.get("x-request-id")).to.equal(requestId);

		const access = await eventually(() => withId("gateway", requestId).find(line => line.access), "access line on the gateway");
		expect(access).to.include({ level: 30, method: "POST", path: "/api/v1/documents", status: 201, userId: user.user.id });
		expect(access.nodeID).to.match(/^gateway-/);
		expect(access.ms).to.be.a("number").and.above(0);
		expect(access.bytes).to.be.above(0);
		expect(JSON.stringify(access)).to.not.contain("secret-in-query");

		// The documents node stored the file for this request; the accounts node checked its token.
		const served = await eventually(() => withId("docs", requestId)[0], "line with the request id on the documents node");
		expect(served).to.include({ userId: user.user.id });
		expect(served.nodeID).to.match(/^docs-/);
		const authenticated = await eventually(() => withId("accounts", requestId)[0], "line with the request id on the auth node");
		expect(authenticated.nodeID).to.match(/^accounts-/);
	});

	it("generates a request id when the client sends none, echoes it and logs with it", async () => {
		const res = await http(topology!.baseUrl, "GET", "/api/v1/documents", { token: user.accessToken });
		expect(res.status, res.text).to.equal(200);
		const requestId = res.headers.get("x-request-id");
		expect(requestId).to.be.a("string").and.not.empty;
		const access = await eventually(() => withId("gateway", requestId!).find(line => line.access), "access line for the generated id");
		expect(access).to.include({ status: 200, method: "GET", path: "/api/v1/documents" });
	});

	it("replaces a request id too long to carry in every packet and line with a generated one", async () => {
		const res = await http(topology!.baseUrl, "GET", "/api/v1/documents", { token: user.accessToken, headers: { "X-Request-ID": "x".repeat(2000) } });
		expect(res.status, res.text).to.equal(200);
		const requestId = res.headers.get("x-request-id");
		expect(requestId).to.be.a("string").and.have.length.below(129);
		await eventually(() => withId("gateway", requestId!).find(line => line.access), "access line for the replaced id");
	});

	it("logs a client's mistake once at warn without a stack, and no error", async () => {
		const requestId = `missing-${Date.now()}`;
		const res = await http(topology!.baseUrl, "GET", "/api/v1/documents/00000000-0000-4000-8000-000000000000", { token: user.accessToken, headers: { "X-Request-ID": requestId } });
		expect(res.status, res.text).to.equal(404);
		const access = await eventually(() => withId("gateway", requestId).find(line => line.access), "access line for the 404");
		expect(access).to.include({ level: 40, status: 404 });
		expect(access.error?.type).to.be.a("string");
		await new Promise(resolve => setTimeout(resolve, 300));
		const lines = Object.values(logs).flatMap(all => all()).filter(line => line.requestId === requestId);
		expect(lines.filter(line => line.level >= 40), JSON.stringify(lines)).to.have.length(1);
		// Moleculer's own debug lines may show the rejection in full; nothing an operator reads at info does.
		const shown = lines.filter(line => line.level >= 30);
		expect(shown.filter(line => JSON.stringify(line).includes("    at ")), JSON.stringify(shown)).to.deep.equal([]);
	});

	it("logs a request refused by an open circuit once at warn without a stack, on every node", async () => {
		openai!.script({ status: 500, message: "the fake provider is down" });
		const since = Object.fromEntries(Object.entries(logs).map(([name, all]) => [name, all().length]));
		const chat = (requestId: string) =>
			http(topology!.baseUrl, "POST", "/v1/chat/completions", { token: user.accessToken, headers: { "X-Request-ID": requestId }, body: { model: "openai:gpt-4o-mini", messages: [{ role: "user", content: "hi" }] } });
		for (let i = 0; i < 2; i++) expect((await chat(`failing-${i}-${Date.now()}`)).status).to.equal(502);
		const requestId = `circuit-${Date.now()}`;
		const refused = await chat(requestId);
		expect(refused.status, refused.text).to.equal(502);
		expect(refused.text).to.contain("circuit is open");
		const access = await eventually(() => withId("gateway", requestId).find(line => line.access), "access line for the refusal");
		expect(access).to.include({ level: 40, status: 502, path: "/v1/chat/completions" });
		await new Promise(resolve => setTimeout(resolve, 300));
		// No error on any node for any of these refusals (moleculer-web logged each 502 as one, stack and all).
		const errors = Object.entries(logs).flatMap(([name, all]) => all().slice(since[name])).filter(line => line.level >= 50);
		expect(errors, JSON.stringify(errors)).to.deep.equal([]);
		const shown = Object.values(logs).flatMap(all => all()).filter(line => line.requestId === requestId && line.level >= 30);
		expect(shown.filter(line => JSON.stringify(line).includes("    at ")), JSON.stringify(shown)).to.deep.equal([]);
		// The llm node that refused it names the request too (its debug line for a call from the gateway).
		expect(withId("workers", requestId), "lines on the llm node").to.not.be.empty;
	});
});
