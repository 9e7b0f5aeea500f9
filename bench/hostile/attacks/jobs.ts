/**
 * Hostile cases of the durable job queues (area D): one user flooding the analysis queue, parallel
 * study creations against the per-user cap, and a user past the hard cap on active analyses.
 */
import type { HostileAttack } from "../attack.ts";
import { fakeProviderEnv, startFakeOpenAI } from "../../../test/helpers/fake-providers/index.ts";
import { answerAnalyses, finishedAnalysis, reportPages } from "../../../test/helpers/analyses.ts";
import { uploadAndExtract } from "../../../test/helpers/documents.ts";
import { registerUser, type RegisteredUser } from "../../../test/helpers/users.ts";
import { http, type HttpResult } from "../../../test/helpers/http.ts";
import { summaryDataset } from "../../../test/integration/optimizer-fixtures.ts";

/** A slow provider (3 s a call) the floods wait on; the platform under attack is pointed at it. */
const openai = await startFakeOpenAI();
answerAnalyses(openai, { summary: "A slow summary." }, { delayMs: 3_000 });
const env = { ...fakeProviderEnv({ openai }), LLM_USER_REQUESTS_PER_MINUTE: "0" };

interface Prepared {
	flooder: RegisteredUser;
	bystander: RegisteredUser;
	floodDoc: string;
	ownDoc: string;
}

async function twoUsersWithDocuments(baseUrl: string): Promise<Prepared> {
	const [flooder, bystander] = await Promise.all([registerUser(baseUrl), registerUser(baseUrl)]);
	const text = reportPages(1, 200)[0];
	const [floodDoc, ownDoc] = await Promise.all([
		uploadAndExtract(baseUrl, flooder.accessToken, { name: "flood.txt", type: "text/plain", bytes: text }),
		uploadAndExtract(baseUrl, bystander.accessToken, { name: "mine.txt", type: "text/plain", bytes: text }),
	]);
	return { flooder, bystander, floodDoc: floodDoc.id, ownDoc: ownDoc.id };
}

const analyse = (baseUrl: string, user: RegisteredUser, documentId: string, body: object) =>
	http(baseUrl, "POST", `/api/v1/documents/${documentId}/analyses`, { token: user.accessToken, body });

function statuses(answers: HttpResult[]): string {
	const counts = new Map<string, number>();
	for (const a of answers) {
		const key = a.status === 202 ? "202" : `${a.status} ${a.body?.error?.type ?? ""}`.trim();
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return [...counts].map(([k, n]) => `${n} x ${k}`).join(", ");
}

const attacks: HostileAttack[] = [
	{
		name: "jobs: 60 slow analyses of one user, then another user's",
		env,
		setup: twoUsersWithDocuments,
		async run(baseUrl, prepared) {
			const p = prepared as Prepared;
			const flood = await Promise.all(Array.from({ length: 60 }, (_, i) => analyse(baseUrl, p.flooder, p.floodDoc, { providers: ["openai"], tasks: ["summary"], params: { temperature: i / 60 } })));
			const started = Date.now();
			const mine = await analyse(baseUrl, p.bystander, p.ownDoc, { providers: ["local"], tasks: ["summary"] });
			const done = await finishedAnalysis(baseUrl, p.bystander.accessToken, mine.body.id, 120_000);
			return `flood ${statuses(flood)}; other user's analysis ${done.status} in ${Date.now() - started} ms`;
		},
	},
	{
		name: "jobs: 80 analyses of one user at once (hard cap)",
		env,
		setup: twoUsersWithDocuments,
		async run(baseUrl, prepared) {
			const p = prepared as Prepared;
			const flood = await Promise.all(Array.from({ length: 80 }, (_, i) => analyse(baseUrl, p.flooder, p.floodDoc, { providers: ["openai"], tasks: ["summary"], params: { temperature: i / 80 } })));
			return statuses(flood);
		},
	},
	{
		name: "jobs: 20 study creations in parallel (cap 5 active)",
		setup: baseUrl => registerUser(baseUrl),
		async run(baseUrl, prepared) {
			const user = prepared as RegisteredUser;
			const study = (n: number) => ({
				name: `parallel ${n}`,
				task: { type: "summary" },
				dataset: summaryDataset(30, n * 30),
				space: { model: ["local"], sentences: { min: 1, max: 30 } },
				objectives: [{ metric: "rougeL", direction: "maximize" }],
				sampler: "random",
				budget: { maxTrials: 30 },
				seed: n,
			});
			const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => http(baseUrl, "POST", "/api/v1/optimizer/studies", { token: user.accessToken, body: study(i) })));
			return statuses(answers);
		},
	},
];

export default attacks;
