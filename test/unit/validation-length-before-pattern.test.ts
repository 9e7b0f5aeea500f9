import { expect } from "chai";
import { ServiceBroker, Validators, type ServiceSchema } from "moleculer";
import { loadConfig } from "../../shared/config.ts";
import { createBrokerOptions } from "../../shared/broker-options.ts";
import { credentialsParams, EMAIL_PATTERN } from "../../services/auth/params.ts";

/** A bound only a pattern run over the whole hostile input can break (unfixed: seconds to forever). */
const BOUND_MS = 2_000;

/** The validator every action of the platform is checked with: the broker options' own. */
function platformValidator() {
	return Validators.resolve(createBrokerOptions(loadConfig({})).validator as never) as InstanceType<typeof Validators.Fastest>;
}

type Problem = { type: string; field: string };

/** A compiled check's answer: true, or the problems found (these checks are synchronous). */
const problemsOf = (answer: unknown) => answer as Problem[];

function timed<T>(work: () => T): { result: T; ms: number } {
	const started = performance.now();
	const result = work();
	return { result, ms: performance.now() - started };
}

describe("validation: length before pattern", () => {
	it("refuses a string over its max without running its pattern, with one max error", () => {
		// (a+)+b on 30 a's backtracks about 2^30 times: seconds, if the pattern ran.
		const check = platformValidator().compile({ name: { type: "string", max: 10, pattern: /^(a+)+b$/ } });
		const { result, ms } = timed(() => check({ name: "a".repeat(30) }));
		expect(ms).to.be.below(BOUND_MS);
		expect(result).to.be.an("array").with.lengthOf(1);
		expect(problemsOf(result)[0]).to.include({ type: "stringMax", field: "name" });
	});

	it("still runs the pattern, and every other check, within the max", () => {
		const check = platformValidator().compile({ name: { type: "string", trim: true, min: 2, max: 10, pattern: /^[a-z]+$/ } });
		expect(check({ name: "  abc  " })).to.equal(true);
		expect(problemsOf(check({ name: "ABC" })).map(e => e.type)).to.deep.equal(["stringPattern"]);
		expect(problemsOf(check({ name: "a" })).map(e => e.type)).to.deep.equal(["stringMin"]);
		expect(problemsOf(check({ name: 5 })).map(e => e.type)).to.deep.equal(["string"]);
	});

	it("measures the max after trimming, as the rule always has", () => {
		const check = platformValidator().compile({ email: credentialsParams.email });
		expect(check({ email: `  ${"a".repeat(240)}@example.com  ` })).to.equal(true);
	});

	it("refuses to compile a pattern without a max, naming the parameter", () => {
		expect(() => platformValidator().compile({ code: { type: "string", pattern: /^x$/ } })).to.throw(/`code` has a pattern but no max/);
	});

	it("is what the platform's brokers validate actions with", async () => {
		const broker = new ServiceBroker({ ...createBrokerOptions(loadConfig({})), logger: false, metrics: false, cacher: undefined });
		broker.createService({ name: "probe", actions: { echo: { params: { email: credentialsParams.email }, handler: () => "ok" } } } as ServiceSchema);
		await broker.start();
		try {
			const hostile = "a@" + "a.".repeat(64_000) + "@";
			const started = performance.now();
			const err = await broker.call("probe.echo", { email: hostile }).catch((e: Error) => e);
			expect(performance.now() - started).to.be.below(BOUND_MS);
			expect(err).to.include({ name: "ValidationError" });
			expect((err as { data: { type: string }[] }).data.map(e => e.type)).to.deep.equal(["stringMax"]);
		} finally {
			await broker.stop();
		}
	});
});

describe("the e-mail pattern", () => {
	it("answers in linear time on the 128 KB address that took 7.6 s", () => {
		const { result, ms } = timed(() => EMAIL_PATTERN.test("a@" + "a.".repeat(64_000) + "@"));
		expect(result).to.equal(false);
		expect(ms).to.be.below(BOUND_MS);
	});

	it("accepts and refuses the same addresses as before", () => {
		const before = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+\.[^\s@\p{Cc}\p{Cf}]+$/u;
		const samples = ["ada@example.com", "a@b.c", "a@.b.c", "a@b..c", "a@b.c.", "a@.c", "a@b.", "a@bc", "@b.c", "a@b@c.d", "a b@c.d", "a@b\u200b.c", "x.y+z@sub.do-main.co.uk", "a@..", "a@...", "a@b.c.d.e", "ü@ñ.de"];
		for (const sample of samples) expect(EMAIL_PATTERN.test(sample), sample).to.equal(before.test(sample));
	});
});
