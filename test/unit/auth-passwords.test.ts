import { expect } from "chai";
import argon2 from "argon2";
import { PasswordHasher } from "../../services/auth/password-hasher.ts";
import { assertAcceptablePassword, normalizePassword } from "../../services/auth/password-policy.ts";

async function rejection(promise: Promise<unknown>): Promise<{ code?: number; type?: string; message: string }> {
	try {
		await promise;
	} catch (err) {
		return err as never;
	}
	throw new Error("expected a rejection");
}

describe("auth: password policy", () => {
	const email = "someone@example.com";

	it("counts characters, not UTF-16 units or bytes: 12 to 256", async () => {
		await assertAcceptablePassword("Kq7!vLp2#mWx", email);
		expect((await rejection(assertAcceptablePassword("Kq7!vLp2#mW", email))).code).to.equal(422);
		// Eleven emoji are 22 UTF-16 units but eleven characters: too short.
		expect((await rejection(assertAcceptablePassword("🦊🐙🦉🐝🦀🐢🦋🐬🦄🐞🦔", email))).code).to.equal(422);
		await assertAcceptablePassword("🦊🐙🦉🐝🦀🐢🦋🐬🦄🐞🦔🐧", email);
		const longest = "Kq7!vLp2#mWx🦊🐙🦉🐝🦀🐢🦋🐬🦄🐞🦔🐧" + "🦊9a".repeat(77) + "b";
		await assertAcceptablePassword(longest, email);
		expect((await rejection(assertAcceptablePassword(longest + "c", email))).message).to.match(/at most 256/);
	});

	it("refuses keyboard walks, sequences, repeats and dates, saying why in zxcvbn's words", async () => {
		const refusals: [string, RegExp][] = [
			["qwertyuiopasdfghjkl", /commonly used password/],
			["poiuytrewqlkjhgfdsa", /similar to a commonly used password/],
			["zxcvbnmasdfghjkl", /similar to a commonly used password/],
			["abcdefghijklmnopq", /sequences like "abc"/],
			["13579bdfhjlnprtvxz", /sequences|commonly used/],
			["abc123abc123abc123", /Repeated character patterns like "abcabcabc"/],
			["19901990199019901990", /Repeated character patterns/],
		];
		for (const [password, why] of refusals) {
			const err = await rejection(assertAcceptablePassword(password, email));
			expect(err.code, password).to.equal(422);
			expect(err.message, password).to.match(/^Password is too easy to guess: /).and.match(why);
			// zxcvbn's keys (straightRow, anotherWord ...) never reach a person untranslated.
			expect(err.message, password).not.to.match(/\b[a-z]+[A-Z][a-zA-Z]+\b/);
		}
	});

	it("accepts long passphrases and random strings however they are typed", async () => {
		for (const good of ["correct horse battery staple", "a long passphrase 2024", "Zq8#vLp2!mWx", "Café-Crème-Brûlée-42", "🦊🐙🦉🐝🦀🐢🦋🐬🦄🐞🦔🐧"]) {
			await assertAcceptablePassword(good, email);
		}
	});

	it("takes its threshold as a zxcvbn score", async () => {
		// "monkey-banana" is two dictionary words: zxcvbn scores it 3, fine by default, too easy at 4.
		await assertAcceptablePassword("monkey-banana", email);
		expect((await rejection(assertAcceptablePassword("monkey-banana", email, 4))).code).to.equal(422);
	});

	it("judges a huge run of digits in bounded time (zxcvbn sees the first 64 characters)", async () => {
		const started = performance.now();
		expect((await rejection(assertAcceptablePassword("12".repeat(40) + "3".repeat(170), email))).code).to.equal(422);
		await assertAcceptablePassword("Kq7!vLp2#mWx-" + "1213".repeat(60), email);
		// Unbounded, the 256 characters cost zxcvbn 0.7 s or more each; a generous bound for a loaded machine.
		expect(performance.now() - started).to.be.below(2_000);
	});

	it("rejects common passwords whatever their case, and ones built from the email or one or two characters", async () => {
		for (const common of ["qwerty123456", "QWERTY123456", "1qaz2wsx3edc", "123qweasdzxc", "leavemealone"]) {
			const err = await rejection(assertAcceptablePassword(common, email));
			expect(err.code, common).to.equal(422);
			expect(err.message).to.match(/too easy to guess/);
		}
		for (const weak of ["zzzzzzzzzzzzzzzz", "abababababababab", "x-someone@example.com-x"]) {
			expect((await rejection(assertAcceptablePassword(weak, email))).code, weak).to.equal(422);
		}
	});

	it("normalises compatibility forms, so one password typed two ways is one password", () => {
		expect(normalizePassword("Cafe\u0301")).to.equal(normalizePassword("Caf\u00e9"));
		expect(normalizePassword("\uff21\uff22\uff23123")).to.equal("ABC123");
	});
});

describe("auth: password hashing", function () {
	this.timeout(20_000);

	it("uses argon2id with OWASP's parameters and verifies only the right password", async () => {
		const hasher = new PasswordHasher({ concurrency: 2, maxQueue: 10 });
		const hash = await hasher.hash("correct horse battery staple");
		expect(hash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
		expect(await hasher.verify(hash, "correct horse battery staple")).to.equal(true);
		expect(await hasher.verify(hash, "correct horse battery stapl")).to.equal(false);
		expect(await hasher.verify("not-a-hash", "anything")).to.equal(false);
		expect(await hasher.verifyAgainstNothing("anything")).to.equal(false);
	});

	it("flags hashes made with other parameters for rehashing", async () => {
		const hasher = new PasswordHasher({ concurrency: 1, maxQueue: 10 });
		const old = await argon2.hash("legacy password!", { type: argon2.argon2id, memoryCost: 4096, timeCost: 3, parallelism: 1 });
		expect(await hasher.needsRehash(old)).to.equal(true);
		expect(await hasher.needsRehash(await hasher.hash("current password!"))).to.equal(false);
	});

	it("runs at most `concurrency` hashes and refuses with 503 once the queue is full", async () => {
		const hasher = new PasswordHasher({ concurrency: 1, maxQueue: 2 });
		const results = await Promise.allSettled([1, 2, 3, 4, 5].map(i => hasher.hash(`password number ${i}`)));
		expect(results.map(r => r.status)).to.deep.equal(["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected"]);
		const refused = (results[3] as PromiseRejectedResult).reason;
		expect(refused.code).to.equal(503);
		// The queue drained: the hasher works again afterwards.
		expect(await hasher.hash("after the burst")).to.match(/^\$argon2id\$/);
	});

	it("sizes itself from the memory budget", () => {
		expect(PasswordHasher.forMemoryBudget(128).concurrency).to.equal(1);
		expect(PasswordHasher.forMemoryBudget(512).concurrency).to.equal(2);
		expect(PasswordHasher.forMemoryBudget(64 * 1024).concurrency).to.equal(4);
	});
});
