import { expect } from "chai";
import { http, type HttpResult } from "../helpers/http.ts";

/** Shared by the optimizer's integration suites: a summarisation dataset and study helpers. */

const SUBJECTS = ["The council", "A local bakery", "The river authority", "Our research team", "The school board", "A regional airline", "The city museum", "Volunteer firefighters", "The county library", "A startup founder", "The hospital", "Farmers nearby"];
const VERBS = ["approved", "criticised", "announced", "postponed", "funded", "reviewed", "celebrated", "questioned", "expanded", "cancelled"];
const OBJECTS = ["a new budget", "the bridge repairs", "longer opening hours", "a recycling scheme", "the summer festival", "rural bus routes", "a reading programme", "solar panels", "the flood defences", "an apprenticeship plan", "cheaper parking", "the harbour project"];
const PLACES = ["downtown", "in the valley", "near the harbour", "across the county", "on the north side", "at the old mill"];
const TIMES = ["on Monday", "last spring", "this week", "after a long debate", "before the election", "in a surprise move"];

function sentence(i: number): string {
	const pick = <T>(list: T[], salt: number) => list[(i * 7 + salt * 13 + Math.floor(i / list.length)) % list.length];
	return `${pick(SUBJECTS, 1)} ${pick(VERBS, 2)} ${pick(OBJECTS, 3)} ${pick(PLACES, 4)} ${pick(TIMES, 5)}.`;
}

/**
 * `examples` texts of ten sentences each; every reference summary keeps eight of the ten sentences,
 * so summaries of 6 to 10 sentences score far better than the local analyzer's default of 3.
 * Datasets with different `first` numbers share no example (and so no cached result).
 */
export function summaryDataset(examples: number, first = 0): { input: string; reference: string }[] {
	return Array.from({ length: examples }, (_, i) => {
		const e = first + i;
		const sentences = Array.from({ length: 10 }, (_, s) => sentence(e * 10 + s));
		const reference = sentences.filter((_, s) => s !== 2 && s !== 7);
		return { input: sentences.join(" "), reference: reference.join(" ") };
	});
}

export async function createStudy(baseUrl: string, token: string, body: object): Promise<string> {
	const res = await http(baseUrl, "POST", "/api/v1/optimizer/studies", { token, body });
	expect(res.status, res.text).to.equal(202);
	expect(res.body.status).to.equal("queued");
	return res.body.id;
}

/** Polls the study until `done` says so (by default: until it has ended). */
export async function waitForStudy(
	baseUrl: string,
	token: string,
	id: string,
	done: (study: any) => boolean = s => !["queued", "running"].includes(s.status),
	timeoutMs = 60_000
): Promise<any> {
	const deadline = Date.now() + timeoutMs;
	let res: HttpResult | undefined;
	while (Date.now() < deadline) {
		res = await http(baseUrl, "GET", `/api/v1/optimizer/studies/${id}`, { token }).catch(() => undefined);
		if (res?.status === 200 && done(res.body)) return res.body;
		await new Promise(r => setTimeout(r, 150));
	}
	throw new Error(`study ${id} did not get there within ${timeoutMs} ms; last answer: ${res?.text}`);
}

export async function trialsOf(baseUrl: string, token: string, id: string): Promise<any[]> {
	const res = await http(baseUrl, "GET", `/api/v1/optimizer/studies/${id}/trials`, { token });
	expect(res.status, res.text).to.equal(200);
	return res.body.items;
}
