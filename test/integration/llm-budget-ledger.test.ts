import { expect } from "chai";
import { Redis } from "ioredis";
import { MemoryBudgetLedger, RedisBudgetLedger, type BudgetLedger } from "../../services/llm/budget-ledger.ts";
import { requireServices, TEST_REDIS_URL } from "../helpers/backing-services.ts";

const BUDGET = 0.05;
const WORST_CASE = 0.006;
/** How many $0.006 worst cases fit in $0.05. */
const FITTING = 8;

/** The month's total as the call records give it, slowly (a database round trip), counting how often it is asked. */
function records(spentUsd = 0) {
	const asked = { times: 0 };
	const read = async () => {
		asked.times++;
		await new Promise(resolve => setTimeout(resolve, 50));
		return spentUsd;
	};
	return { asked, read };
}

async function reserveInParallel(ledgers: BudgetLedger[], key: string, count: number, read: () => Promise<number>) {
	return Promise.all(Array.from({ length: count }, (_, i) => ledgers[i % ledgers.length].reserve(key, WORST_CASE, BUDGET, read)));
}

describe("llm budget ledger: reservations checked and added in one step", () => {
	it("in memory: 20 parallel reservations admit exactly those that fit, reading the records once; settling frees the difference", async () => {
		const ledger = new MemoryBudgetLedger(100);
		const { asked, read } = records();
		const answers = await reserveInParallel([ledger], "user:2026-12", 20, read);
		const admitted = answers.filter(a => a.admitted);
		expect(admitted).to.have.length(FITTING);
		expect(asked.times).to.equal(1);
		// Each call really cost $0.001: $0.04 comes back, room for 6 more worst cases.
		for (const answer of admitted) await answer.settle!(0.001);
		const more = await reserveInParallel([ledger], "user:2026-12", 20, read);
		expect(more.filter(a => a.admitted)).to.have.length(Math.floor((BUDGET - FITTING * 0.001) / WORST_CASE + 1e-9));
	});

	it("in memory: starts from what the records say was spent", async () => {
		const ledger = new MemoryBudgetLedger(100);
		const answers = await reserveInParallel([ledger], "user:2026-12", 20, records(0.04).read);
		expect(answers.filter(a => a.admitted)).to.have.length(1);
		expect(answers.find(a => !a.admitted)!.totalUsd).to.be.closeTo(0.046, 1e-12);
	});

	describe("on Redis", function () {
		let redis: Redis;
		let prefix: string;
		before(async function () {
			await requireServices(this, "redis");
			redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
		});
		beforeEach(() => {
			prefix = `ledger-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}:`;
		});
		after(async () => {
			const keys = await redis?.keys("ledger-test-*");
			if (keys?.length) await redis.del(...keys);
			redis?.disconnect();
		});

		it("20 parallel reservations over two nodes admit exactly those that fit; settling adjusts the shared total", async () => {
			const nodes = [new RedisBudgetLedger(redis, prefix, new MemoryBudgetLedger(100)), new RedisBudgetLedger(redis, prefix, new MemoryBudgetLedger(100))];
			const answers = await reserveInParallel(nodes, "user:2026-12", 20, records().read);
			const admitted = answers.filter(a => a.admitted);
			expect(admitted).to.have.length(FITTING);
			expect(Number(await redis.get(`${prefix}user:2026-12`))).to.be.closeTo(FITTING * WORST_CASE, 1e-12);
			for (const answer of admitted) await answer.settle!(0.001);
			expect(Number(await redis.get(`${prefix}user:2026-12`))).to.be.closeTo(FITTING * 0.001, 1e-12);
			expect(await redis.ttl(`${prefix}user:2026-12`)).to.be.within(1, 600);
		});

		it("falls back to this node's memory while Redis is unreachable, without failing", async () => {
			const down = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
			down.on("error", () => {});
			try {
				const ledger = new RedisBudgetLedger(down, prefix, new MemoryBudgetLedger(100));
				const answers = await reserveInParallel([ledger], "user:2026-12", 20, records().read);
				expect(answers.filter(a => a.admitted)).to.have.length(FITTING);
				for (const answer of answers) if (answer.admitted) await answer.settle!(0);
			} finally {
				down.disconnect();
			}
		});
	});
});
