/**
 * Eight large offline analyses at once from one user: the analyzer's CPU work must stay off the
 * event loop that answers everyone else.
 */
import type { HostileAttack } from "../attack.ts";
import { http } from "../../../test/helpers/http.ts";
import { longEnglishText } from "../../../test/helpers/hostile-documents.ts";
import { registerUser } from "../../../test/helpers/users.ts";
import { untilRouted } from "../../../test/helpers/routed.ts";

const TYPES = ["summary", "key_points", "keywords", "entities", "sentiment", "topics", "language", "readability", "statistics"];

export default [
	{
		name: "offline analyzer: 8 x 400,000-character analyses at once",
		async setup(baseUrl) {
			await untilRouted(baseUrl);
			return { token: (await registerUser(baseUrl)).accessToken, inputs: Array.from({ length: 8 }, (_, i) => longEnglishText(400_000, i + 1)) };
		},
		async run(baseUrl, prepared) {
			const { token, inputs } = prepared as { token: string; inputs: string[] };
			const started = performance.now();
			const answers = await Promise.all(inputs.map(input => http(baseUrl, "POST", "/api/v1/llm/complete", { token, body: { providers: ["local"], task: { types: TYPES, input } } })));
			const statuses = [...new Set(answers.map(a => (a.status === 200 && !a.body.results[0].error ? "200" : `${a.status} ${JSON.stringify(a.body.results?.[0]?.error ?? a.body.error).slice(0, 60)}`)))];
			return `${statuses.join(", ")} x${answers.length} in ${((performance.now() - started) / 1000).toFixed(1)} s`;
		},
	},
] satisfies HostileAttack[];
