import type { HostileAttack } from "../attack.ts";

/** Patterns over hostile input: a backtracking e-mail pattern, a user's regex, a model name that walks a provider URL, an offset past any list. */

async function signUp(baseUrl: string): Promise<string> {
	const register = () =>
		fetch(`${baseUrl}/api/v1/auth/register`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ email: `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`, password: "Pw-" + Math.random().toString(36).slice(2) + "-long-enough-2026" }),
		});
	let res = await register();
	// Until "ready means routed" lands, routes may answer 404 for a moment after /health/ready.
	for (let i = 0; i < 20 && res.status === 404; i++) {
		await sleep(100);
		res = await register();
	}
	const body = (await res.json()) as { accessToken?: string };
	if (!body.accessToken) throw new Error(`registration failed: ${res.status} ${JSON.stringify(body)}`);
	return body.accessToken;
}

async function answer(res: Response): Promise<string> {
	const body = (await res.json().catch(() => ({}))) as { error?: { type?: string; message?: string } };
	return body.error ? `${res.status} ${body.error.type ?? ""} ${String(body.error.message ?? "").slice(0, 60)}`.trim() : String(res.status);
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A two-trial study of the offline analyzer summarising 30 a's, scored by `objectives`; its final status. */
async function runStudy(baseUrl: string, token: string, objectives: unknown[]): Promise<string> {
	const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
	const study = {
		task: { type: "summary" },
		dataset: [{ input: "a".repeat(30), reference: "a" }],
		space: { model: ["local"], sentences: { min: 1, max: 2, int: true } },
		objectives,
		sampler: "random",
		budget: { maxTrials: 2 },
		seed: 1,
	};
	const created = await fetch(`${baseUrl}/api/v1/optimizer/studies`, { method: "POST", headers, body: JSON.stringify(study) });
	if (created.status !== 202) return answer(created);
	const { id } = (await created.json()) as { id: string };
	for (let i = 0; i < 600; i++) {
		const read = (await (await fetch(`${baseUrl}/api/v1/optimizer/studies/${id}`, { headers })).json()) as { status: string };
		if (!["queued", "running"].includes(read.status)) return `202, study ${read.status}`;
		await sleep(100);
	}
	return "202, study still running after 60 s";
}

const attacks: HostileAttack[] = [
	{
		name: "login email 128k chars (ReDoS)",
		async run(baseUrl) {
			const email = "a@" + "a.".repeat(64_000) + "@";
			return answer(await fetch(`${baseUrl}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "x" }) }));
		},
	},
	{
		name: "study regex (a+)+b on 30 a's",
		async setup(baseUrl) {
			// A first study loads the optimizer's and the offline analyzer's modules (about 150 ms on
			// the main thread, whatever its objectives): done here, so the row measures the regex.
			const token = await signUp(baseUrl);
			await runStudy(baseUrl, token, [{ metric: "containsAny", terms: ["a"] }]);
			return token;
		},
		run: (baseUrl, token) => runStudy(baseUrl, token as string, [{ metric: "regex", name: "hostile", pattern: "(a+)+b" }]),
	},
	{
		name: "study regex with a backreference",
		setup: signUp,
		async run(baseUrl, token) {
			const study = { task: { type: "summary" }, dataset: [{ input: "One. Two.", reference: "One." }], objectives: [{ metric: "regex", pattern: "(a)\\1" }] };
			return answer(await fetch(`${baseUrl}/api/v1/optimizer/studies`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(study) }));
		},
	},
	{
		name: "model gemini:%2e%2e/%2e%2e/v1beta/tunedModels/x",
		setup: signUp,
		async run(baseUrl, token) {
			const body = { model: "gemini:%2e%2e/%2e%2e/v1beta/tunedModels/x", prompt: "hi" };
			return answer(await fetch(`${baseUrl}/api/v1/llm/complete`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) }));
		},
	},
	{
		name: "upload named with 70,000 characters",
		setup: signUp,
		async run(baseUrl, token) {
			const form = new FormData();
			form.append("file", new Blob([Buffer.from("A short note about solar panels.")], { type: "text/plain" }), "a".repeat(70_000) + ".txt");
			const res = await fetch(`${baseUrl}/api/v1/documents`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
			if (res.status !== 201) return answer(res);
			const { filename } = (await res.json()) as { filename: string };
			return `201, stored as ${filename.length} characters`;
		},
	},
	{
		name: "documents?offset=9999999999999999999999",
		setup: signUp,
		async run(baseUrl, token) {
			return answer(await fetch(`${baseUrl}/api/v1/documents?offset=9999999999999999999999`, { headers: { authorization: `Bearer ${token}` } }));
		},
	},
];

export default attacks;
