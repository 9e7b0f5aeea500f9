import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { loadConfig, ConfigError } from "../../shared/config.ts";
import { createBrokerOptions } from "../../shared/broker-options.ts";
import { listeningSockets, newListeners } from "../helpers/listening-sockets.ts";
import { freePort } from "../helpers/topology.ts";

const TOKEN = "metrics-access-test-token-0123456789abcdef";

function configError(env: Record<string, string>): ConfigError {
	try {
		loadConfig(env);
	} catch (err) {
		if (err instanceof ConfigError) return err;
		throw err;
	}
	throw new Error("expected a ConfigError");
}

/** A broker with the platform's own options and no service: whatever it listens on, the options opened. */
async function withBroker(env: Record<string, string>, body: (broker: ServiceBroker) => Promise<void>): Promise<void> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "metrics-access-"));
	const broker = new ServiceBroker(createBrokerOptions(loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "fatal", DATA_DIR: dataDir, ...env })));
	try {
		await broker.start();
		await body(broker);
	} finally {
		await broker.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

describe("metrics access", () => {
	it("opens no listener of its own when nobody asked for one (Moleculer's reporter took a random port on all interfaces)", async () => {
		const before = listeningSockets();
		await withBroker({}, async () => {
			// The reporter's listener comes up asynchronously after start; give it the chance to appear.
			await new Promise(resolve => setTimeout(resolve, 300));
			expect(newListeners(before, listeningSockets())).to.deep.equal([]);
		});
	});

	it("listens on METRICS_PORT bound to HOST only, and asks for METRICS_TOKEN there too", async () => {
		const port = await freePort();
		const before = listeningSockets();
		await withBroker({ METRICS_PORT: String(port), METRICS_TOKEN: TOKEN }, async () => {
			const deadline = Date.now() + 5_000;
			while (newListeners(before, listeningSockets()).length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
			expect(newListeners(before, listeningSockets())).to.deep.equal([{ address: "127.0.0.1", port }]);

			const anonymous = await fetch(`http://127.0.0.1:${port}/metrics`);
			expect(anonymous.status).to.equal(401);
			expect(await anonymous.json()).to.deep.equal({ error: { type: "UNAUTHORIZED", message: "Metrics need Authorization: Bearer <METRICS_TOKEN>", code: 401 } });
			const wrong = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
			expect(wrong.status).to.equal(401);
			await wrong.arrayBuffer();
			const allowed = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
			expect(allowed.status).to.equal(200);
			expect(await allowed.text()).to.match(/^# TYPE process_memory_heap_size_total gauge$/m);
		});
	});

	it("refuses a short or placeholder METRICS_TOKEN and a METRICS_PORT equal to PORT", () => {
		expect(configError({ METRICS_TOKEN: "short" }).variable).to.equal("METRICS_TOKEN");
		expect(configError({ METRICS_TOKEN: "with a space 0123456789abcdef0123456789" }).variable).to.equal("METRICS_TOKEN");
		expect(configError({ METRICS_TOKEN: "change-me-to-a-long-random-metrics-token-42" }).message).to.match(/placeholder/);
		expect(configError({ PORT: "3000", METRICS_PORT: "3000" }).variable).to.equal("METRICS_PORT");
		expect(configError({ METRICS_PORT: "0" }).variable).to.equal("METRICS_PORT");
		expect(loadConfig({ METRICS_TOKEN: TOKEN, METRICS_PORT: "9464" }).metrics).to.deep.equal({ token: TOKEN, port: 9464 });
		expect(loadConfig({}).metrics).to.deep.equal({ token: undefined, port: undefined });
	});
});
