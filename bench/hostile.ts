/**
 * `npm run bench:hostile`: every hostile case of bench/hostile/attacks/, each on a fresh platform
 * (one process, embedded, from the sources as test/helpers/hostile.ts starts it), with a bystander
 * asking GET /health/live every 20 ms. Prints one table: attack, answer, worst bystander latency,
 * bystander p99, peak RSS and RSS after, beside the goals of issue 13 (p99 < 100 ms, RSS < 512 MB).
 * Filter cases with a substring: `npm run bench:hostile -- pdf`.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startHostilePlatform, withBystander, sampleRss, rssSettles } from "../test/helpers/hostile.ts";
import { stopAllChildren } from "../test/helpers/child-processes.ts";
import type { HostileAttack } from "./hostile/attack.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2).find(a => !a.startsWith("-"));

async function loadAttacks(): Promise<HostileAttack[]> {
	const dir = path.join(here, "hostile/attacks");
	const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith(".ts")).sort() : [];
	const all: HostileAttack[] = [];
	for (const file of files) {
		const mod = (await import(path.join(dir, file))) as { default: HostileAttack[] };
		all.push(...mod.default);
	}
	return filter ? all.filter(a => a.name.toLowerCase().includes(filter.toLowerCase())) : all;
}

interface Row {
	attack: string;
	answer: string;
	worstMs: number;
	p99Ms: number;
	peakMb: number;
	baselineMb: number;
	afterMb: number;
}

const rows: Row[] = [];
// A stray rejection in one case (a client socket the platform closed, say) is that case's problem,
// not a reason to lose every row measured so far.
let strayError: Error | undefined;
process.on("unhandledRejection", err => (strayError ??= err as Error));
try {
	for (const attack of await loadAttacks()) {
		const platform = await startHostilePlatform(attack.env ?? {});
		strayError = undefined;
		try {
			let prepared: unknown;
			try {
				prepared = await attack.setup?.(platform.baseUrl);
			} catch (err) {
				rows.push({ attack: attack.name, answer: `ERROR in setup: ${(err as Error).message}`, worstMs: NaN, p99Ms: NaN, peakMb: NaN, baselineMb: NaN, afterMb: NaN });
				continue;
			}
			await new Promise(r => setTimeout(r, 500));
			const baselineMb = platform.rssMb();
			const rss = sampleRss(platform.pid, 20);
			let answer: string;
			let bystander;
			try {
				({ result: answer, bystander } = await withBystander(platform.baseUrl, () => attack.run(platform.baseUrl, prepared)));
			} catch (err) {
				answer = `ERROR ${(err as Error).message}`;
				bystander = { worstMs: NaN, p99Ms: NaN };
			}
			const peakMb = rss.stop();
			await rssSettles(platform.pid, baselineMb, 20, 10_000);
			if (strayError) answer += ` (stray error: ${(strayError as Error).message})`;
			rows.push({ attack: attack.name, answer, worstMs: bystander.worstMs, p99Ms: bystander.p99Ms, peakMb, baselineMb, afterMb: platform.rssMb() });
		} finally {
			await platform.stop();
		}
		const row = rows.at(-1);
		console.error(`done: ${attack.name}: ${row?.answer.slice(0, 80)} | worst ${row?.worstMs.toFixed(0)} ms, p99 ${row?.p99Ms.toFixed(0)} ms, peak ${row?.peakMb.toFixed(0)} MB`);
	}
} finally {
	await stopAllChildren();
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "-");
const table = rows.map(r => ({
	attack: r.attack,
	answer: r.answer.slice(0, 70),
	"bystander worst ms": fmt(r.worstMs),
	"bystander p99 ms (goal < 100)": fmt(r.p99Ms),
	"peak RSS MB (goal < 512)": fmt(r.peakMb),
	"RSS before / after MB": `${fmt(r.baselineMb)} / ${fmt(r.afterMb)}`,
	ok: r.p99Ms < 100 && r.peakMb < 512 && !r.answer.startsWith("ERROR") ? "yes" : "NO",
}));
console.log(`bench:hostile on ${(await import("node:os")).cpus()[0]?.model ?? "?"}, ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
console.table(table);
process.exit(0);
