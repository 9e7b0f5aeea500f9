import { expect } from "chai";
import { usePlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser, type RegisteredUser } from "../helpers/users.ts";

const TEXT = "The council approved the new library budget on Monday. Construction starts in spring. Residents welcomed the decision.";
const request = { providers: ["local"], task: { types: ["summary"], input: TEXT } };

describe("llm per-user request limit", () => {
	const platform = usePlatform({ env: { LLM_USER_REQUESTS_PER_MINUTE: "3" } });
	let alice: RegisteredUser;

	before(async () => {
		alice = await registerUser(platform.baseUrl);
	});

	it("counts what a user sends and answers 429 with Retry-After past the limit", async () => {
		for (let i = 0; i < 3; i++) {
			const ok = await http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token: alice.accessToken, body: request });
			expect(ok.status, ok.text).to.equal(200);
		}
		const limited = await http(platform.baseUrl, "POST", "/api/v1/llm/complete", { token: alice.accessToken, body: request });
		expect(limited.status).to.equal(429);
		expect(limited.body.error.message).to.match(/limit is 3 a minute/);
		expect(Number(limited.headers.get("retry-after"))).to.be.within(1, 60);
	});

	it("does not count the calls an analysis or a study makes on the user's behalf", async () => {
		const user = { id: alice.user.id, email: alice.email, role: "user", via: "access-token" };
		for (const caller of ["analyses", "optimizer"]) {
			const result = await platform.broker.call<{ output: string }, typeof request>("llm.complete", request, { meta: { user }, caller });
			expect(result.output, caller).to.be.a("string").and.not.equal("");
		}
	});
});
