/**
 * Accounts against a hostile client, on the platform as `npm start` runs it (one process, the
 * production defaults): asking sign-up about many emails from one address, and a stolen access
 * token presented again after its owner signed out and the process restarted.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { startHostilePlatform, withBystander, type HostilePlatform } from "../helpers/hostile.ts";
import { http } from "../helpers/http.ts";
import { registerUser, strongPassword, uniqueEmail } from "../helpers/users.ts";
import { untilRouted } from "../helpers/routed.ts";

async function started(platform: HostilePlatform): Promise<HostilePlatform> {
	await untilRouted(platform.baseUrl);
	return platform;
}

describe("hostile: accounts", function () {
	this.timeout(180_000);
	let platform: HostilePlatform | undefined;
	let dataDir: string;

	before(async () => {
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-accounts-"));
		platform = await started(await startHostilePlatform({ DATA_DIR: dataDir }));
	});

	after(async () => {
		await platform?.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("refuses a signed-out access token after the process restarts on the same data", async () => {
		const account = await registerUser(platform!.baseUrl);
		expect((await http(platform!.baseUrl, "POST", "/api/v1/auth/logout", { token: account.accessToken, body: {} })).status).to.equal(204);
		await platform!.stop();
		platform = await started(await startHostilePlatform({ DATA_DIR: dataDir }));
		expect((await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: account.accessToken })).status).to.equal(401);
		// Signing in again works as usual.
		expect((await http(platform.baseUrl, "POST", "/api/v1/auth/login", { body: { email: account.email, password: account.password } })).status).to.equal(200);
	});

	it("answers at most 20 sign-ups an hour from one address (each would say whether an email has an account), and stays responsive", async () => {
		// The first sign-up of this process's hour (the count of the process before the restart is gone with it).
		const taken = await registerUser(platform!.baseUrl);
		const { result: statuses, bystander } = await withBystander(platform!.baseUrl, async () => {
			const seen: number[] = [];
			for (let i = 0; i < 30; i++) {
				const email = i % 3 === 0 ? taken.email : uniqueEmail("probe");
				seen.push((await http(platform!.baseUrl, "POST", "/api/v1/auth/register", { body: { email, password: strongPassword() } })).status);
			}
			return seen;
		});
		expect(statuses.slice(0, 19).every(s => s === 201 || s === 409), statuses.join(",")).to.equal(true);
		expect(statuses.slice(19)).to.deep.equal(new Array(11).fill(429));
		expect(bystander.failures).to.equal(0);
		// Generous: a frozen process, not a loaded machine, breaks it.
		expect(bystander.worstMs).to.be.below(5_000);
	});
});
