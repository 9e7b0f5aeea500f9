/**
 * PDF extraction benchmark: a 100-page text PDF (pdfkit, about 500 words a page) through the
 * documents service's real extraction sandbox (a child process with the production limits from
 * limits.ts at the default 512 MB budget). Reports the time per document, cold (the process and
 * pdf.js loading) and warm, the resident memory of this process (which only sends the bytes) and
 * the extraction process's peak.
 *
 *   node bench/extract-pdf.ts [--dist] [--runs 5]
 *   (--dist loads the sandbox and its process from the compiled dist/ of `npm run build`; default: the sources)
 */
import fs from "node:fs";
import os from "node:os";
import { loadConfig } from "../shared/config.ts";
import { documentLimits } from "../services/documents/limits.ts";
import type { ExtractionSandbox as ExtractionSandboxClass } from "../services/documents/extraction/extraction-sandbox.ts";
import { pdfDocument } from "../test/helpers/documents.ts";
import { flag, numberOption } from "./lib/options.ts";

const PAGES = 100;
const dist = flag("dist");
const RUNS = numberOption("runs", 5);

function memoryMb(): { rss: number; peak: number } {
	const status = fs.readFileSync("/proc/self/status", "utf8");
	const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
	return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

const module = (await import(dist ? "../dist/services/documents/extraction/extraction-sandbox.js" : "../services/documents/extraction/extraction-sandbox.ts")) as { ExtractionSandbox: typeof ExtractionSandboxClass };
const limits = documentLimits(loadConfig({}));
const pool = new module.ExtractionSandbox(limits.sandbox);

/** Resident memory (MB) of this process's children together: the extraction process while it runs. */
function childrenMb(): number {
	let total = 0;
	for (const pid of fs.readFileSync(`/proc/self/task/${process.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) {
		try {
			total += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
		} catch {
			// ended meanwhile
		}
	}
	return total;
}

const sentence = (page: number, i: number) => `On page ${page} the grid operator in Lyon reported ${i * 7} megawatt hours from ${i + 3} solar sites, and costs fell by ${i % 9} percent.`;
const pdf = await pdfDocument(Array.from({ length: PAGES }, (_, page) => Array.from({ length: 25 }, (_, i) => sentence(page + 1, i)).join(" ")));

// Let the generator's garbage go before measuring; the peak is then reset by reading it as a baseline.
await new Promise(r => setTimeout(r, 1_000));
const before = memoryMb().rss;
let peak = before;
let childPeak = 0;
const sampler = setInterval(() => {
	peak = Math.max(peak, memoryMb().rss);
	childPeak = Math.max(childPeak, childrenMb());
}, 5);
const times: number[] = [];
let pages = 0;
let characters = 0;
for (let run = 0; run < RUNS; run++) {
	const bytes = new Uint8Array(pdf);
	const started = performance.now();
	const outcome = await pool.run({ bytes, size: bytes.length, mimeType: "application/pdf", charset: null, limits: limits.extraction });
	times.push(performance.now() - started);
	if (!outcome.ok) throw new Error(`extraction failed: ${outcome.error}`);
	pages = outcome.stats.pages ?? 0;
	characters = outcome.stats.characters;
}
clearInterval(sampler);
await new Promise(r => setTimeout(r, limits.sandbox.idleTimeoutMs + 2_000));
const idle = memoryMb().rss;
await pool.close();

const warm = times.slice(1).sort((a, b) => a - b);
console.log(`PDF extraction: ${PAGES} pages, ${(pdf.length / 1024).toFixed(0)} KB, ${characters} characters of text; ${RUNS} runs in one extraction process (memory ceiling ${limits.sandbox.memoryMb} MB); ${dist ? "compiled dist/" : "sources, type stripping"}; node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})`);
console.log(`  pages extracted                    ${String(pages).padStart(8)}`);
console.log(`  first run (process + pdf.js load)  ${times[0].toFixed(0).padStart(8)} ms`);
console.log(`  later runs (median)                ${(warm[Math.floor(warm.length / 2)] ?? times[0]).toFixed(0).padStart(8)} ms`);
console.log(`  RSS before                         ${before.toFixed(0).padStart(8)} MB`);
console.log(`  RSS peak while extracting          ${peak.toFixed(0).padStart(8)} MB   (+${(peak - before).toFixed(0)} MB)`);
console.log(`  extraction process's peak RSS      ${childPeak.toFixed(0).padStart(8)} MB`);
console.log(`  RSS after the idle process exited  ${idle.toFixed(0).padStart(8)} MB`);
