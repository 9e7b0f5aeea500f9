import { http } from "./http.ts";
import type { FakeProvider } from "./fake-providers/index.ts";
import type { AnalysisData } from "../../shared/contracts/llm.ts";

/** test/e2e/console.test.ts still imports the PDF maker by this name; new code imports pdfDocument from documents.ts. */
export { pdfDocument as multiPagePdf } from "./documents.ts";

const TOPICS = [
	{ subject: "solar energy", place: "Seville", person: "Ada Lovelace", noun: "panel" },
	{ subject: "battery storage", place: "Oslo", person: "Grace Hopper", noun: "cell" },
	{ subject: "grid planning", place: "Lyon", person: "Alan Turing", noun: "substation" },
	{ subject: "wind farms", place: "Aberdeen", person: "Katherine Johnson", noun: "turbine" },
	{ subject: "hydrogen fuel", place: "Rotterdam", person: "Hedy Lamarr", noun: "electrolyser" },
	{ subject: "heat pumps", place: "Vienna", person: "Claude Shannon", noun: "compressor" },
	{ subject: "tidal power", place: "Brest", person: "Lise Meitner", noun: "barrage" },
	{ subject: "smart meters", place: "Turin", person: "John von Neumann", noun: "meter" },
];

/**
 * Readable, deterministic report text: one section per page, each about its own topic, about
 * `wordsPerPage` words long, so a document of several pages needs several map batches.
 */
export function reportPages(pages: number, wordsPerPage = 700): string[] {
	return Array.from({ length: pages }, (_, p) => {
		const topic = TOPICS[p % TOPICS.length];
		const sentences = [`Section ${p + 1}: ${topic.subject} in ${topic.place}.`];
		for (let i = 0; sentences.join(" ").split(/\s+/).length < wordsPerPage; i++) {
			sentences.push(
				`In quarter ${(i % 4) + 1} the ${topic.subject} team in ${topic.place} installed ${12 + i * 3} new ${topic.noun}s, and ${topic.person} reported that costs fell by ${(i % 9) + 2} percent while reliability improved.`
			);
		}
		return sentences.join(" ");
	});
}

/** Polls GET /analyses/:id until the analysis has ended; answers it as GET does. */
export async function finishedAnalysis(baseUrl: string, token: string, id: string, timeoutMs = 30_000): Promise<any> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const { body } = await http(baseUrl, "GET", `/api/v1/analyses/${id}`, { token });
		if (["succeeded", "failed", "cancelled"].includes(body?.status)) return body;
		if (Date.now() > deadline) throw new Error(`analysis ${id} has not ended after ${timeoutMs} ms; last: ${JSON.stringify(body).slice(0, 500)}`);
		await new Promise(r => setTimeout(r, 50));
	}
}

/** Makes a fake provider answer every analysis call with `data` as its JSON output. */
export function answerAnalyses(fake: FakeProvider, data: AnalysisData, extra: { delayMs?: number } = {}): void {
	fake.script(() => ({ text: JSON.stringify(data), ...extra }));
}

/** Parses a server-sent events body into its events. */
export function parseEventStream(text: string): { event: string; data: any }[] {
	return text
		.split("\n\n")
		.map(block => {
			const event = /^event: (.*)$/m.exec(block)?.[1];
			const data = /^data: (.*)$/m.exec(block)?.[1];
			return event && data ? { event, data: JSON.parse(data) } : undefined;
		})
		.filter((e): e is { event: string; data: any } => e !== undefined);
}
