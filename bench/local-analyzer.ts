/**
 * The offline analyzer's speed and memory on English text of growing length: every analysis at
 * once, then each alone on the longest text, and what loading its word lists costs. Prints each
 * figure beside its budget. The analyzer runs in a worker thread (analyzer-pool.ts): times include
 * handing the text over, and memory figures are the whole process's, the thread's included.
 *
 *   node --expose-gc bench/local-analyzer.ts [--runs 5]
 */
import { ANALYSIS_TASKS, type AnalysisTaskType } from "../shared/contracts/llm.ts";
import { loadConfig } from "../shared/config.ts";
import { localProvider } from "../services/llm/providers/local/index.ts";
import { numberOption } from "./lib/options.ts";

const BUDGET_50K_WORDS_MS = 1_000;
const BUDGET_LOAD_RSS_MB = 40;
const SIZES = [1_000, 10_000, 50_000];
const RUNS = numberOption("runs", 5);
const config = loadConfig({});

const COMPANIES = ["Northwind Traders", "Acme Robotics Inc.", "Globex Energy", "Initech Ltd.", "Umbrella Logistics GmbH"];
const PLACES = ["Berlin", "Madrid", "Toronto", "Osaka", "Lyon", "Denver"];
const PEOPLE = ["Dr. Maria Schulz", "Tom Becker", "Ana Lima", "Kenji Sato", "Laura Chen"];
const TOPICS = ["battery storage", "grid capacity", "solar panels", "wind farms", "heat pumps", "supply contracts"];
const TEMPLATES = [
	(r: Pick) => `${r(COMPANIES)} reported revenue of $${r.number(1, 900)} million from ${r(TOPICS)} in the third quarter.`,
	(r: Pick) => `"Demand for ${r(TOPICS)} is not slowing down," said ${r(PEOPLE)}, the company's chief executive.`,
	(r: Pick) => `The new plant in ${r(PLACES)} will open on March ${r.number(1, 28)}, 2025 and employ ${r.number(50, 900)} people.`,
	(r: Pick) => `Analysts warned that rising costs for ${r(TOPICS)} could hurt margins, although prices fell ${r.number(2, 30)}% last year.`,
	(r: Pick) => `Customers in ${r(PLACES)} praised the excellent service, but some complained about late deliveries of ${r(TOPICS)}.`,
	(r: Pick) => `Investment in ${r(TOPICS)} reached €${r.number(1, 60)} billion, according to a report by ${r(COMPANIES)}.`,
	(r: Pick) => `For details contact press@${r(["northwind", "acme", "globex"])}.example or call +1 (415) 555-0${r.number(100, 999)}.`,
	(r: Pick) => `Regulators in ${r(PLACES)} plan to publish new rules for ${r(TOPICS)} before the end of the year.`,
];

interface Pick {
	<T>(items: T[]): T;
	number(min: number, max: number): number;
}

/** English text of about `words` words, the same every time. */
function document(words: number): string {
	let seed = 42;
	const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
	const pick = (<T>(items: T[]) => items[Math.floor(next() * items.length)]) as Pick;
	pick.number = (min, max) => min + Math.floor(next() * (max - min + 1));
	const paragraphs: string[] = [];
	let count = 0;
	while (count < words) {
		const sentences = Array.from({ length: pick.number(3, 6) }, () => pick(TEMPLATES)(pick));
		count += sentences.join(" ").split(/\s+/).length;
		paragraphs.push(sentences.join(" "));
	}
	return paragraphs.join("\n\n");
}

async function analyse(types: AnalysisTaskType[], input: string): Promise<number> {
	const started = performance.now();
	await localProvider.complete({ model: "extractive", messages: [], params: {}, task: { types, input, question: "How much was invested in battery storage?" } }, config);
	return performance.now() - started;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;

gc?.();
const before = process.memoryUsage();
const firstCallMs = await analyse([...ANALYSIS_TASKS], document(200));
gc?.();
const loaded = process.memoryUsage();
const loadRssMb = (loaded.rss - before.rss) / 1024 / 1024;
console.log(`first call (loads word lists, stemmer, gazetteer): ${firstCallMs.toFixed(0)} ms, RSS +${loadRssMb.toFixed(1)} MB, heap +${mb(loaded.heapUsed - before.heapUsed)} MB (budget: RSS +${BUDGET_LOAD_RSS_MB} MB) ${loadRssMb <= BUDGET_LOAD_RSS_MB ? "ok" : "OVER"}`);
if (!gc) console.log("(run with --expose-gc for exact heap figures)");

let longest = "";
for (const words of SIZES) {
	const input = document(words);
	longest = input;
	const times: number[] = [];
	for (let run = 0; run < RUNS; run++) times.push(await analyse([...ANALYSIS_TASKS], input));
	const ms = median(times);
	const budget = words === 50_000 ? ` (budget ${BUDGET_50K_WORDS_MS} ms) ${ms <= BUDGET_50K_WORDS_MS ? "ok" : "OVER"}` : "";
	console.log(`${words.toLocaleString("en")} words, all ${ANALYSIS_TASKS.length} analyses: median ${ms.toFixed(0)} ms of ${RUNS} runs${budget}`);
}

console.log("each analysis alone on 50,000 words (median):");
for (const type of ANALYSIS_TASKS) {
	const times: number[] = [];
	for (let run = 0; run < RUNS; run++) times.push(await analyse([type], longest));
	console.log(`  ${type.padEnd(12)} ${median(times).toFixed(0)} ms`);
}

gc?.();
const after = process.memoryUsage();
console.log(`heap retained after all runs: ${mb(after.heapUsed - loaded.heapUsed)} MB; RSS now ${mb(after.rss)} MB`);
await localProvider.close?.();
