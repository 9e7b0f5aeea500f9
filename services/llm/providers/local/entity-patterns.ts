import type { Entity } from "../../../../shared/contracts/llm.ts";

/**
 * Entities with a recognisable shape: e-mail addresses, URLs, dates, money amounts and phone
 * numbers, in English, German, French, Spanish and Italian conventions. The order matters: a span
 * claimed by an earlier kind (the date in a URL, the amount that looks like a phone number) is not
 * matched again.
 */

export interface Match {
	type: Entity["type"];
	text: string;
	start: number;
	end: number;
}

const MONTHS = [
	"january|february|march|april|may|june|july|august|september|october|november|december",
	"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec",
	"januar|jänner|februar|märz|mai|juni|juli|oktober|dezember",
	"janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre",
	"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre",
	"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre",
].join("|");
const WEEKDAY = "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche),?\\s+";
const DAY = "(?:[12]\\d|3[01]|0?[1-9])";
const YEAR = "(?:1[6-9]|20|21)\\d{2}";
const CURRENCY_SYMBOL = "(?:US\\$|A\\$|C\\$|NZ\\$|HK\\$|R\\$|[$€£¥₹₩₽₺₪฿₫₴₦])";
const CURRENCY_CODE = "(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|CNY|RMB|INR|SEK|NOK|DKK|PLN|CZK|HUF|RUB|BRL|MXN|ZAR|HKD|SGD|KRW|TRY|ILS)";
const CURRENCY_WORD = "(?:dollars?|euros?|pounds? sterling|yen|yuan|francs?|rupees?|Euro|Dollar|Franken)";
const NUMBER = "\\d{1,3}(?:[,.\\u00a0\\u202f ]\\d{3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d+)?";
const SCALE = "(?:\\s?(?:k|K|m|M|bn|BN|mn|thousand|million|billion|trillion|Mio\\.?|Mrd\\.?|Millionen|Milliarden|millions?|milliards?|millones|mil millones)(?!\\p{L}))?";

const PATTERNS: { type: Entity["type"]; pattern: RegExp }[] = [
	// The look-behind lets a match start only where a run of address characters starts, not at each of its letters.
	{ type: "email", pattern: /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu },
	{ type: "url", pattern: /\b(?:https?:\/\/|www\.)[^\s<>"'`{}|\\^]+/giu },
	{
		type: "date",
		pattern: new RegExp(
			[
				`\\b\\d{4}-[01]\\d-[0-3]\\d(?:[T ][0-2]\\d:[0-5]\\d(?::[0-5]\\d(?:\\.\\d+)?)?(?:Z|[+-][0-2]\\d:?[0-5]\\d)?)?\\b`,
				`\\b${DAY}[./-](?:1[0-2]|0?[1-9])[./-](?:${YEAR}|\\d{2})\\b`,
				`\\b(?:1[0-2]|0?[1-9])/${DAY}/(?:${YEAR}|\\d{2})\\b`,
				`\\b(?:${WEEKDAY})?(?:le\\s+|the\\s+)?${DAY}(?:st|nd|rd|th|er|\\.)?(?:\\s+of)?\\s+(?:${MONTHS})\\.?(?:,?\\s+${YEAR})?\\b`,
				`\\b(?:${WEEKDAY})?(?:${MONTHS})\\.?\\s+${DAY}(?:st|nd|rd|th)?(?:,?\\s+${YEAR})?\\b`,
				`\\b(?:${MONTHS})\\.?\\s+${YEAR}\\b`,
			].join("|"),
			"giu"
		),
	},
	{
		type: "amount",
		pattern: new RegExp(
			[
				`${CURRENCY_SYMBOL}\\s?(?:${NUMBER})${SCALE}`,
				`\\b${CURRENCY_CODE}\\s?(?:${NUMBER})${SCALE}`,
				`(?<![\\p{L}\\p{N}.,])(?:${NUMBER})${SCALE}\\s?(?:${CURRENCY_SYMBOL}|${CURRENCY_CODE}\\b|${CURRENCY_WORD}\\b)`,
			].join("|"),
			"gu"
		),
	},
	{
		type: "phone",
		pattern: new RegExp(
			[
				"(?<![\\p{L}\\p{N}])(?:\\+|00)[1-9]\\d{0,2}[\\s.-]?(?:\\(0?\\d{1,4}\\)[\\s.-]?)?\\d{1,4}(?:[\\s.-]?\\d{2,4}){1,4}(?:-\\d{1,4})?(?!\\p{N})",
				"(?<![\\p{L}\\p{N}])\\(\\d{3}\\)\\s?\\d{3}[\\s.-]\\d{4}(?!\\p{N})",
				"(?<![\\p{L}\\p{N}.,])\\d{3}[.-]\\d{3}[.-]\\d{4}(?![.,]?\\p{N})",
				"(?<=\\b(?:tel|phone|telephone|telefon|téléphone|tél|fax|mobile|mobil|handy|cell)\\.?:?\\s{0,3})0\\d{2,5}(?:[\\s/.-]?\\d{2,})+",
			].join("|"),
			"giu"
		),
	},
];

const TRAILING_URL_PUNCTUATION = /[.,;:!?'"”’)\]]+$/u;
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;

/** A URL's closing parenthesis belongs to it only when it also opened one (Wikipedia links). */
function trimUrl(url: string): string {
	let trimmed = url.replace(TRAILING_URL_PUNCTUATION, "");
	const opened = (trimmed.match(/\(/g) ?? []).length;
	const tail = url.slice(trimmed.length);
	if (tail.startsWith(")") && opened > (trimmed.match(/\)/g) ?? []).length) trimmed += ")";
	return trimmed;
}

function plausible(type: Entity["type"], text: string): boolean {
	if (type === "phone") {
		const digits = text.replace(/\D/g, "").length;
		return digits >= MIN_PHONE_DIGITS && digits <= MAX_PHONE_DIGITS;
	}
	return true;
}

/** Whether [start, end) overlaps one of the spans, which are sorted by start and do not overlap: a binary search. */
export function overlapsAny(spans: Match[], start: number, end: number): boolean {
	let [low, high] = [0, spans.length - 1];
	while (low <= high) {
		const middle = (low + high) >> 1;
		if (spans[middle].end <= start) low = middle + 1;
		else if (spans[middle].start >= end) high = middle - 1;
		else return true;
	}
	return false;
}

function insertSorted(spans: Match[], match: Match): void {
	let [low, high] = [0, spans.length];
	while (low < high) {
		const middle = (low + high) >> 1;
		if (spans[middle].start < match.start) low = middle + 1;
		else high = middle;
	}
	spans.splice(low, 0, match);
}

/** Every e-mail address, URL, date, amount and phone number (or only the kinds asked for), in text order. */
export function findPatternEntities(input: string, kinds?: Entity["type"][]): Match[] {
	const found: Match[] = [];
	for (const { type, pattern } of PATTERNS) {
		if (kinds && !kinds.includes(type)) continue;
		for (const match of input.matchAll(pattern)) {
			const text = type === "url" ? trimUrl(match[0]) : match[0].trim();
			const start = match.index + match[0].indexOf(text);
			const end = start + text.length;
			if (!plausible(type, text) || overlapsAny(found, start, end)) continue;
			insertSorted(found, { type, text, start, end });
		}
	}
	return found;
}
