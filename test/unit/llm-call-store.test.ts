import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "moleculer";
import type { Sequelize } from "sequelize";
import { loadConfig } from "../../shared/config.ts";
import { acquireDatabase, releaseDatabase } from "../../shared/db/database.ts";
import { runMigrations } from "../../shared/db/migrations.ts";
import { CallStore, type CallRecord } from "../../services/llm/call-store.ts";
import { migrations } from "../../services/llm/migrations/index.ts";
import { defineModels, type LlmModels } from "../../services/llm/models.ts";

const call = (userId: string, model: string, costUsd = 0.01): CallRecord => ({
	userId,
	provider: "openai",
	model,
	paramsHash: "h".repeat(64),
	status: "ok",
	usage: { inputTokens: 10, outputTokens: 5 },
	costUsd,
	latencyMs: 12,
	output: "an answer",
});

describe("LLM call records (a real SQLite database)", () => {
	let dataDir: string;
	let sequelize: Sequelize;
	let models: LlmModels;
	const errors: string[] = [];
	const logger = { error: (message: string) => errors.push(message), warn() {}, info() {}, debug() {} } as unknown as Logger;

	before(async () => {
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "call-store-"));
		sequelize = await acquireDatabase(loadConfig({ DATA_DIR: dataDir }));
		await runMigrations(sequelize, "llm", migrations);
		models = defineModels(sequelize);
	});

	after(async () => {
		await releaseDatabase(sequelize);
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("writes what the database accepts when one record of the batch is refused, and drops only that one", async () => {
		const store = new CallStore(sequelize, models, logger);
		store.record(call("alice", "gpt-4o-mini"));
		// NOT NULL column: the database refuses this record, whatever is retried.
		store.record({ ...call("alice", "gpt-4o-mini"), paramsHash: null as never });
		store.record(call("bob", "gpt-4o-mini"));
		await store.flush();
		expect(await models.LlmCall.count()).to.equal(2);
		expect(errors.some(message => /Dropping an LLM call record the database refuses/.test(message))).to.equal(true);
		// Nothing left to retry: the next flush writes only new records.
		store.record(call("carol", "gpt-4o-mini"));
		await store.flush();
		expect(await models.LlmCall.count()).to.equal(3);
		expect((await store.monthSpend("bob", true)).calls).to.equal(1);
	});
});
