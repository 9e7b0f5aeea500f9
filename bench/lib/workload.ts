/**
 * The standard mixed load: clients, each one signed-in user behind its own address, each doing one
 * operation after another (a closed loop) picked at random by weight: sign-ins, uploads of real
 * PDF/DOCX/text files awaited until extracted, analyses with the offline analyzer awaited until
 * done, reads the cache serves, and OpenAI-compatible chat calls. Every HTTP request is recorded
 * (kind, time, latency, status); every accepted upload and analysis is kept as a job, so a caller
 * can check afterwards that each one ended.
 */
import crypto from "node:crypto";
import { docxDocument, pdfDocument } from "../../test/helpers/documents.ts";
import { reportPages } from "../../test/helpers/analyses.ts";
import { strongPassword, uniqueEmail } from "../../test/helpers/users.ts";
import { sleep } from "./processes.ts";

/** Status recorded for a request that got no HTTP answer: the connection failed, or the client gave up. */
export const NO_ANSWER = 0;
export const CLIENT_TIMEOUT = -1;
/** The connection was refused: nothing was sent, so nothing was lost (a node that stopped listening). */
export const REFUSED = -2;

export interface Sample {
	kind: string;
	/** performance.now() when the request started. */
	at: number;
	ms: number;
	status: number;
	/** A whole job (upload until extracted, analysis until done) rather than one request. */
	endToEnd?: boolean;
}

export interface Job {
	type: "upload" | "analysis";
	id: string;
	client: LoadClient;
	acceptedAt: number;
	/** ready/failed (uploads), succeeded/failed/cancelled (analyses) once seen; undefined while unknown. */
	outcome?: string;
	reason?: string;
	/** The status last read, or the HTTP status of the last failed read. */
	lastSeen?: string;
	/** ms from acceptance to the outcome, when the client saw it while waiting. */
	ms?: number;
}

export interface LoadClient {
	email: string;
	password: string;
	token: string;
	/** Its X-Forwarded-For, a lone entry the platform believes (it runs with TRUST_PROXY=true: every hop trusted). */
	address: string;
	documents: string[];
	analyses: string[];
}

export type Operation = "login" | "upload" | "analysis" | "document" | "text" | "list" | "analysis-get" | "chat" | "providers";

export interface WorkloadOptions {
	baseUrl: string;
	weights: Partial<Record<Operation, number>>;
	/** Pause between a client's operations (0: a closed loop at full speed). */
	thinkMs?: number;
	/** How long one request may take before the client gives up on it. */
	requestTimeoutMs?: number;
	/** How long a client waits for its upload or analysis to end before it moves on. */
	jobWaitMs?: number;
	pollMs?: number;
	/** `provider:model` for chat calls (a fake OpenAI in the benchmarks). */
	chatModel?: string;
}

interface UploadFile {
	name: string;
	type: string;
	bytes: Buffer;
}

const FINAL_UPLOAD = ["ready", "failed"];
const FINAL_ANALYSIS = ["succeeded", "failed", "cancelled"];

/** Real documents of several kinds and sizes, made once; text files get a unique first line per upload. */
export async function makeUploadFiles(): Promise<UploadFile[]> {
	const files: UploadFile[] = [];
	for (let i = 0; i < 8; i++) {
		const pages = reportPages(1 + (i % 4), 250 + 100 * (i % 3)).map(page => `${page} Edition ${i}.`);
		files.push({ name: `report-${i}.pdf`, type: "application/pdf", bytes: await pdfDocument(pages) });
		files.push({
			name: `memo-${i}.docx`,
			type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			bytes: await docxDocument(pages.map((page, p) => ({ heading: `Part ${p + 1} of memo ${i}`, paragraphs: page.split(/(?<=\.) /) }))),
		});
		files.push({ name: `notes-${i}.txt`, type: "text/plain", bytes: Buffer.from(pages.join("\n\n")) });
		files.push({ name: `plan-${i}.md`, type: "text/markdown", bytes: Buffer.from(`# Plan ${i}\n\n${pages.map((page, p) => `## Step ${p + 1}\n\n${page}`).join("\n\n")}\n`) });
	}
	return files;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

function pickWeighted(weights: Partial<Record<Operation, number>>): Operation {
	const entries = Object.entries(weights) as [Operation, number][];
	let roll = Math.random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
	for (const [operation, weight] of entries) {
		roll -= weight;
		if (roll < 0) return operation;
	}
	return entries[0][0];
}

export class Workload {
	readonly samples: Sample[] = [];
	readonly jobs: Job[] = [];
	readonly clients: LoadClient[] = [];
	#options: Required<WorkloadOptions>;
	#files: UploadFile[];
	#uploads = 0;
	#stopAt = 0;
	/** The last upload or analysis the platform refused, for error messages. */
	lastRefusal = "";

	constructor(options: WorkloadOptions, files: UploadFile[]) {
		this.#options = { thinkMs: 0, requestTimeoutMs: 30_000, jobWaitMs: 30_000, pollMs: 250, chatModel: "openai:gpt-4o-mini", ...options };
		this.#files = files;
	}

	/** One HTTP request, recorded under `kind` unless `kind` is undefined. */
	async request(kind: string | undefined, client: LoadClient | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
		const headers: Record<string, string> = {};
		if (client) {
			headers["x-forwarded-for"] = client.address;
			if (client.token) headers.authorization = `Bearer ${client.token}`;
		}
		let payload: RequestInit["body"];
		if (body instanceof FormData) payload = body;
		else if (body !== undefined) {
			headers["content-type"] = "application/json";
			payload = JSON.stringify(body);
		}
		const at = performance.now();
		let status: number;
		let parsed: any;
		try {
			const res = await fetch(this.#options.baseUrl + path, { method, headers, body: payload, signal: AbortSignal.timeout(this.#options.requestTimeoutMs) });
			status = res.status;
			const text = await res.text();
			try {
				parsed = text ? JSON.parse(text) : undefined;
			} catch {
				parsed = text;
			}
		} catch (err) {
			const cause = (err as { cause?: { code?: string } }).cause;
			status = (err as Error).name === "TimeoutError" ? CLIENT_TIMEOUT : cause?.code === "ECONNREFUSED" ? REFUSED : NO_ANSWER;
		}
		if (kind) this.samples.push({ kind, at, ms: performance.now() - at, status });
		return { status, body: parsed };
	}

	/** Registers `count` users (a few at a time: argon2 is meant to be expensive) and gives each one ready document. */
	async addClients(count: number): Promise<void> {
		const first = this.clients.length;
		const created: LoadClient[] = [];
		for (let i = 0; i < count; i++) {
			const n = first + i;
			created.push({ email: uniqueEmail("bench"), password: strongPassword(), token: "", address: `10.77.${n >> 8}.${(n & 255) + 1}`, documents: [], analyses: [] });
		}
		await inBatches(created, 4, async client => {
			const res = await this.request(undefined, client, "POST", "/api/v1/auth/register", { email: client.email, password: client.password, name: "Bench User" });
			if (res.status !== 201) throw new Error(`registering ${client.email} answered ${res.status}: ${JSON.stringify(res.body)}`);
			client.token = res.body.accessToken;
		});
		await inBatches(created, 8, async client => {
			const job = await this.upload(client, undefined);
			if (job?.outcome !== "ready") throw new Error(`the first upload of ${client.email} ended ${job ? job.outcome : `refused: ${this.lastRefusal}`} ${job?.reason ?? ""}`);
		});
		this.clients.push(...created);
	}

	/** Every client works until `durationMs` has passed; operations under way then are finished. */
	async run(durationMs: number): Promise<void> {
		this.#stopAt = performance.now() + durationMs;
		await Promise.all(this.clients.map(client => this.#loop(client)));
	}

	/** Ends run() early: each client finishes its current operation and stops. */
	stop(): void {
		this.#stopAt = 0;
	}

	async #loop(client: LoadClient): Promise<void> {
		while (performance.now() < this.#stopAt) {
			await this.#operate(client, pickWeighted(this.#options.weights));
			if (this.#options.thinkMs > 0) await sleep(this.#options.thinkMs * (0.5 + Math.random()));
		}
	}

	async #operate(client: LoadClient, operation: Operation): Promise<void> {
		switch (operation) {
			case "login": {
				const res = await this.request("login", client, "POST", "/api/v1/auth/login", { email: client.email, password: client.password });
				if (res.status === 200) client.token = res.body.accessToken;
				return;
			}
			case "upload":
				await this.upload(client, "upload");
				return;
			case "analysis":
				await this.analyse(client);
				return;
			case "document":
				await this.request("document get", client, "GET", `/api/v1/documents/${pick(client.documents)}`);
				return;
			case "text":
				await this.request("document text", client, "GET", `/api/v1/documents/${pick(client.documents)}/text`);
				return;
			case "list":
				await this.request("document list", client, "GET", "/api/v1/documents?limit=20");
				return;
			case "providers":
				// Answered by an llm node, uncached: a read that fails over when its node dies.
				await this.request("llm providers", client, "GET", "/api/v1/llm/providers");
				return;
			case "analysis-get":
				if (client.analyses.length === 0) return this.#operate(client, "document");
				await this.request("analysis get", client, "GET", `/api/v1/analyses/${pick(client.analyses)}`);
				return;
			case "chat": {
				// Half repeat a few deterministic prompts (the result cache answers), half are new.
				const repeat = Math.random() < 0.5;
				const prompt = repeat ? `Summarise topic ${crypto.randomInt(5)} in one sentence.` : `Summarise note ${crypto.randomUUID()} in one sentence.`;
				await this.request("chat completion", client, "POST", "/v1/chat/completions", {
					model: this.#options.chatModel,
					messages: [{ role: "user", content: prompt }],
					temperature: repeat ? 0 : 0.7,
					max_tokens: 64,
				});
				return;
			}
		}
	}

	/** Uploads a file and waits (polling) until it is extracted; answers the job, or undefined if refused. */
	async upload(client: LoadClient, kind: string | undefined): Promise<Job | undefined> {
		const file = pick(this.#files);
		const bytes = file.type.startsWith("text/") ? Buffer.concat([Buffer.from(`Upload ${++this.#uploads} by ${client.email}.\n\n`), file.bytes]) : file.bytes;
		const form = new FormData();
		form.append("file", new Blob([bytes], { type: file.type }), file.name);
		const res = await this.request(kind, client, "POST", "/api/v1/documents", form);
		if (res.status !== 201) {
			this.lastRefusal = `${res.status} ${JSON.stringify(res.body)}`;
			return undefined;
		}
		const job: Job = { type: "upload", id: res.body.id, client, acceptedAt: performance.now() };
		this.jobs.push(job);
		await this.#awaitJob(job, kind && "upload poll");
		if (job.outcome === "ready") client.documents.push(job.id);
		if (kind && job.ms !== undefined) this.samples.push({ kind: "upload → ready", at: job.acceptedAt, ms: job.ms, status: job.outcome === "ready" ? 200 : 500, endToEnd: true });
		return job;
	}

	/** Asks the offline analyzer for an analysis of one of the client's documents and waits until it ends. */
	async analyse(client: LoadClient): Promise<Job | undefined> {
		const documentId = pick(client.documents);
		// Varied knobs, so most analyses run rather than being copied from a stored one.
		const body = { providers: ["local"], params: { sentences: 1 + crypto.randomInt(8), keywords: 5 + crypto.randomInt(11) } };
		const res = await this.request("analysis submit", client, "POST", `/api/v1/documents/${documentId}/analyses`, body);
		if (res.status !== 202) {
			this.lastRefusal = `${res.status} ${JSON.stringify(res.body)}`;
			return undefined;
		}
		const job: Job = { type: "analysis", id: res.body.id, client, acceptedAt: performance.now() };
		this.jobs.push(job);
		client.analyses.push(job.id);
		await this.#awaitJob(job, "analysis poll");
		if (job.ms !== undefined) this.samples.push({ kind: "analysis → done", at: job.acceptedAt, ms: job.ms, status: job.outcome === "succeeded" ? 200 : 500, endToEnd: true });
		return job;
	}

	/** Polls a job until it ends or the client's patience (jobWaitMs) runs out; errors while polling are recorded, not fatal. */
	async #awaitJob(job: Job, pollKind: string | undefined): Promise<void> {
		const deadline = performance.now() + this.#options.jobWaitMs;
		while (performance.now() < deadline) {
			await sleep(this.#options.pollMs);
			if (await this.checkJob(job, pollKind)) {
				job.ms = performance.now() - job.acceptedAt;
				return;
			}
		}
	}

	/** Reads a job's state once; true when it has ended (job.outcome set). */
	async checkJob(job: Job, kind: string | undefined): Promise<boolean> {
		const path = job.type === "upload" ? `/api/v1/documents/${job.id}` : `/api/v1/analyses/${job.id}`;
		const res = await this.request(kind, job.client, "GET", path);
		job.lastSeen = res.status === 200 ? res.body.status : `HTTP ${res.status}`;
		if (res.status !== 200) return false;
		const finals = job.type === "upload" ? FINAL_UPLOAD : FINAL_ANALYSIS;
		if (!finals.includes(res.body.status)) return false;
		job.outcome = res.body.status;
		job.reason = res.body.error ?? undefined;
		return true;
	}

	/**
	 * Polls every job not yet seen ending until each has, or `timeoutMs` passes; answers the jobs
	 * still open then (lost, unless they are merely slow).
	 */
	async settleJobs(timeoutMs: number): Promise<Job[]> {
		const deadline = performance.now() + timeoutMs;
		let open = this.jobs.filter(job => job.outcome === undefined);
		while (open.length > 0 && performance.now() < deadline) {
			await inBatches(open, 10, job => this.checkJob(job, undefined));
			open = open.filter(job => job.outcome === undefined);
			if (open.length > 0) await sleep(500);
		}
		return open;
	}
}

/** Runs `work` over `items`, `size` at a time. */
export async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(size, items.length) }, async () => {
			while (next < items.length) await work(items[next++]);
		})
	);
}
