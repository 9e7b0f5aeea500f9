/**
 * Hostile cases for accounts: asking sign-up who has an account (by the answer's timing, and in
 * bulk from one address), passwords zxcvbn must refuse (and what judging them costs), and a
 * signed-out token presented again after the platform restarted.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HostileAttack } from "../attack.ts";
import { http } from "../../../test/helpers/http.ts";
import { registerUser, strongPassword, uniqueEmail } from "../../../test/helpers/users.ts";
import { startHostilePlatform } from "../../../test/helpers/hostile.ts";
import { untilRouted } from "../../../test/helpers/routed.ts";

let address = 0;
/** Each request its own client address (the platform trusts X-Forwarded-For here), so the sign-up limit stays out of the timing. */
const nextAddress = () => `198.51.${100 + (++address >> 8)}.${address & 255}`;

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

function register(baseUrl: string, email: string, password: string, from: string) {
	return http(baseUrl, "POST", "/api/v1/auth/register", { body: { email, password }, headers: { "x-forwarded-for": from } });
}

const attacks: HostileAttack[] = [
	{
		name: "sign-up timing: taken email vs new (enumeration)",
		env: { TRUST_PROXY: "true" },
		setup: async baseUrl => {
			await untilRouted(baseUrl);
			return registerUser(baseUrl);
		},
		async run(baseUrl, prepared) {
			const taken = (prepared as { email: string }).email;
			const times: Record<number, number[]> = {};
			for (let i = 0; i < 15; i++) {
				for (const email of [uniqueEmail("new"), taken]) {
					const started = performance.now();
					const res = await register(baseUrl, email, strongPassword(), nextAddress());
					(times[res.status] ??= []).push(performance.now() - started);
				}
			}
			return Object.entries(times)
				.map(([status, ms]) => `${status} median ${median(ms).toFixed(0)} ms (${ms.length})`)
				.join(", ");
		},
	},
	{
		name: "sign-up flood from one address (30 emails)",
		env: { TRUST_PROXY: "true" },
		async run(baseUrl) {
			const from = nextAddress();
			const counts: Record<string, number> = {};
			let retryAfter = "";
			for (let i = 0; i < 30; i++) {
				const res = await register(baseUrl, uniqueEmail("flood"), strongPassword(), from);
				counts[res.status] = (counts[res.status] ?? 0) + 1;
				if (res.status === 429) retryAfter = res.headers.get("retry-after") ?? "";
			}
			return `${Object.entries(counts).map(([s, n]) => `${n}x ${s}`).join(", ")}; Retry-After ${retryAfter} s`;
		},
	},
	{
		name: "sign-up with the keyboard walk qwertyuiopasdfghjkl",
		async run(baseUrl) {
			const res = await register(baseUrl, uniqueEmail("walk"), "qwertyuiopasdfghjkl", nextAddress());
			return `${res.status} ${res.body.error?.message ?? ""}`;
		},
	},
	{
		name: "zxcvbn's slowest password: 20 sign-ups, 256 digits each",
		env: { TRUST_PROXY: "true" },
		async run(baseUrl) {
			const statuses: number[] = [];
			for (let i = 0; i < 20; i++) statuses.push((await register(baseUrl, uniqueEmail("digits"), "1991121".repeat(36) + "1991", nextAddress())).status);
			return `${statuses.filter(s => s === 422).length}x 422 of ${statuses.length}`;
		},
	},
	{
		name: "signed-out token after a restart (a second platform, same DATA_DIR)",
		async run() {
			const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-restart-"));
			try {
				let platform = await startHostilePlatform({ DATA_DIR: dataDir });
				await untilRouted(platform.baseUrl);
				const account = await registerUser(platform.baseUrl);
				const signOut = await http(platform.baseUrl, "POST", "/api/v1/auth/logout", { token: account.accessToken, body: {} });
				await platform.stop();
				platform = await startHostilePlatform({ DATA_DIR: dataDir });
				try {
					await untilRouted(platform.baseUrl);
					const me = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: account.accessToken });
					return `logout ${signOut.status}; after restart /me ${me.status}`;
				} finally {
					await platform.stop();
				}
			} finally {
				fs.rmSync(dataDir, { recursive: true, force: true });
			}
		},
	},
];

export default attacks;
