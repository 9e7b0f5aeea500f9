import { expect } from "chai";
import net from "node:net";
import { loadConfig } from "../../shared/config.ts";
import { UsageLimits } from "../../services/llm/usage-limits.ts";
import type { CallStore } from "../../services/llm/call-store.ts";

/**
 * A Redis that speaks just enough RESP for ioredis (the ready check's INFO, EVAL's array answer,
 * +OK otherwise) until `hang` is set: then it reads and never answers, as a paused Redis does.
 */
async function fakeRedis(): Promise<{ url: string; hang: () => void; close: () => Promise<void> }> {
	let hanging = false;
	const sockets = new Set<net.Socket>();
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
		socket.on("error", () => {});
		let buffered = "";
		socket.on("data", chunk => {
			buffered += chunk.toString("latin1");
			for (;;) {
				const command = takeCommand(buffered);
				if (!command) break;
				buffered = buffered.slice(command.length);
				if (hanging) continue;
				const name = command.args[0]?.toUpperCase();
				if (name === "INFO") socket.write(bulk("redis_version:7.0.0\r\n"));
				else if (name === "EVAL" || name === "EVALSHA") socket.write("*2\r\n:1\r\n$1\r\n0\r\n");
				else socket.write("+OK\r\n");
			}
		});
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as net.AddressInfo;
	return {
		url: `redis://127.0.0.1:${port}`,
		hang: () => (hanging = true),
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise(resolve => server.close(resolve));
		},
	};
}

const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;

/** One RESP array of bulk strings from the front of `data`, or undefined while it is incomplete. */
function takeCommand(data: string): { args: string[]; length: number } | undefined {
	const header = /^\*(\d+)\r\n/.exec(data);
	if (!header) return undefined;
	let at = header[0].length;
	const args: string[] = [];
	for (let i = 0; i < Number(header[1]); i++) {
		const bulk = /^\$(\d+)\r\n/.exec(data.slice(at));
		if (!bulk) return undefined;
		at += bulk[0].length;
		const end = at + Number(bulk[1]);
		if (data.length < end + 2) return undefined;
		args.push(data.slice(at, end));
		at = end + 2;
	}
	return { args, length: at };
}

describe("llm usage limits: a hanging Redis", function () {
	this.timeout(10_000);

	it("costs one command timeout, then budget reservations fall back to memory at once", async () => {
		const redis = await fakeRedis();
		const config = loadConfig({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: "200", LLM_USER_REQUESTS_PER_MINUTE: "0" });
		const store = { monthSpend: async () => ({ month: "", costUsd: 0, calls: 0 }) } as unknown as CallStore;
		const limits = new UsageLimits(config, store);
		try {
			await limits.start();
			await (await limits.reserveBudget("u1", 0.01))(0.01);
			redis.hang();
			const timings: number[] = [];
			for (let i = 0; i < 4; i++) {
				const started = performance.now();
				const settle = await limits.reserveBudget("u1", 0.01);
				timings.push(performance.now() - started);
				await settle(0.01);
			}
			// The first waits out the command timeout; without the reconnect every one of them did.
			expect(timings[0]).to.be.at.least(150);
			expect(Math.max(...timings.slice(1)), `reservations after the first (ms): ${timings.map(Math.round).join(", ")}`).to.be.below(100);
		} finally {
			await limits.stop();
			await redis.close();
		}
	});
});
