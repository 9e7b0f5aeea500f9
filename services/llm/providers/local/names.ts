import type { Entity } from "../../../../shared/contracts/llm.ts";
import { overlapsAny, type Match } from "./entity-patterns.ts";
import type { Token } from "./segmentation.ts";
import type { Text } from "./text.ts";

/**
 * Names of people, organisations and places, found as runs of capitalised words and classified by
 * what is in and around them: a legal form or institution word ("Inc.", "University"), a country,
 * capital or street, a title ("Dr."), a role ("CEO"), a reporting verb ("said"), a place
 * preposition ("in"). A name without such a cue is "other": capitals alone do not say what a name
 * is. A name once classified keeps its type where it recurs ("Jane Miller" makes a later "Miller" a
 * person). In languages that capitalise every noun (German) a lone capitalised word, a preposition
 * and a connector ("der") say nothing, so only names of several words or with another cue count.
 */

const TITLES = new Set(["mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "herr", "frau", "m", "mme", "mlle", "monsieur", "madame", "señor", "señora", "sr", "sra", "president", "senator", "judge", "minister", "chancellor", "governor", "mayor"]);
const ROLES = new Set(["ceo", "cfo", "cto", "coo", "cio", "chief", "president", "director", "founder", "co-founder", "spokesperson", "spokesman", "spokeswoman", "chairman", "chairwoman", "chair", "professor", "analyst", "manager", "head", "secretary", "senator", "minister", "author", "economist", "researcher", "scientist", "lawyer", "attorney", "engineer", "partner", "editor", "reporter", "owner", "chancellor", "governor", "mayor", "contact", "geschäftsführer", "vorstand", "directeur", "directrice", "président", "présidente"]);
const REPORTING_VERBS = new Set(["said", "says", "told", "wrote", "writes", "explained", "added", "argued", "noted", "stated", "warned", "announced", "believes", "thinks", "sagte", "erklärte", "déclare", "explique"]);
const ORGANISATION_WORDS = new Set([
	"inc", "corp", "corporation", "ltd", "llc", "llp", "plc", "gmbh", "ag", "sa", "se", "kg", "co", "company", "group", "bank", "university",
	"universität", "université", "universidad", "college", "school", "institute", "institut", "association", "agency", "ministry",
	"ministerium", "council", "commission", "committee", "foundation", "stiftung", "fondation", "department", "authority", "board", "bureau",
	"court", "parliament", "party", "union", "federation", "airlines", "airways", "motors", "systems", "technologies", "holdings", "partners",
	"capital", "fund", "office", "services", "labs", "laboratories", "organization", "organisation", "society", "hospital", "clinic",
	"center", "centre", "club", "times", "post", "press", "news", "media", "bundestag", "senate", "congress", "police", "army", "navy",
]);
const PLACE_WORDS = new Set(["street", "road", "avenue", "boulevard", "lane", "square", "drive", "river", "lake", "mountain", "mount", "island", "islands", "bay", "valley", "county", "province", "city", "rue", "avenida", "calle", "piazza", "via"]);
const PLACE_SUFFIX = /(?:straße|strasse|platz|weg|allee|gasse|ufer)$/u;
const PLACE_PREPOSITIONS = new Set(["in", "near", "across", "throughout", "outside", "inside", "nach", "à", "dans", "en", "im"]);
const CONNECTORS = new Set(["of", "de", "du", "des", "la", "le", "von", "van", "der", "den", "del", "da", "di", "dos", "y", "für", "for"]);
/** Capitalised words that are no names: calendar words and acronyms of roles or formats. */
const NOT_NAMES = new Set([
	"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "ceo", "cfo", "cto", "coo", "cio", "vp", "hr", "phd",
	"mba", "ok", "am", "pm", "faq", "pdf", "i", "q1", "q2", "q3", "q4",
]);
const NOUN_CAPITALISING_LANGUAGES = new Set(["de", "lb"]);
const POSSESSIVE = /['’]s$/u;

interface Name {
	/** Lower-case words without a possessive "'s": what recurring mentions are matched by. */
	words: string[];
	start: number;
	end: number;
	type: Entity["type"];
	/** Kept only if a recurring full name gives it a type ("Acme" after "Acme Robotics Inc."). */
	weak: boolean;
}

interface Run {
	from: number;
	to: number;
}

/** What every step needs to know about the text as a whole. */
interface Context {
	text: Text;
	/** Countries, capitals and continents, in lower case. */
	places: Set<string>;
	/** Words the text also writes in lower case: ordinary words, not names. */
	lowercaseWords: Set<string>;
	/** German and Luxembourgish capitalise every noun. */
	nounsCapitalised: boolean;
	claimed(token: Token): boolean;
}

/** One sentence's words and the index of its first word with a letter. */
interface SentenceWords {
	tokens: Token[];
	firstWord: number;
}

const isCapitalised = (token: Token) => /^\p{Lu}/u.test(token.text) && /\p{L}/u.test(token.text);

/** One space, or one line break: extracted PDF text wraps lines in the middle of a name ("Maria\nLopez"). */
const WORD_GAP = /^(?: |[ \t]*\r?\n[ \t]*)$/u;

function gapIs(text: Text, a: Token, b: Token, allowed: RegExp): boolean {
	return allowed.test(text.input.slice(a.end, b.start));
}

/** Runs of capitalised words in one sentence, joined by single spaces, initials ("John F. Kennedy") and connectors ("Bank of America"). */
function capitalisedRuns(context: Context, tokens: Token[]): Run[] {
	const { text } = context;
	const nameWord = (token: Token | undefined) => token !== undefined && isCapitalised(token) && !NOT_NAMES.has(token.lower) && !context.claimed(token);
	const runs: Run[] = [];
	let i = 0;
	while (i < tokens.length) {
		if (!nameWord(tokens[i]) || tokens[i].text === "I") {
			i++;
			continue;
		}
		const from = i;
		let to = i;
		for (;;) {
			const [next, afterNext] = [tokens[to + 1], tokens[to + 2]];
			const continues = nameWord(next) && (next.text.length === 1 || !text.language.isStopword(next.lower));
			const connected = !context.nounsCapitalised && next !== undefined && CONNECTORS.has(next.text) && nameWord(afterNext);
			if (continues && (gapIs(text, tokens[to], next, WORD_GAP) || (tokens[to].text.length === 1 && gapIs(text, tokens[to], next, /^\. ?$/u)))) {
				to++;
			} else if (connected && gapIs(text, tokens[to], next, WORD_GAP) && gapIs(text, next, afterNext, WORD_GAP)) {
				to += 2;
			} else break;
		}
		runs.push({ from, to });
		i = to + 1;
	}
	return runs;
}

function classify(context: Context, { tokens }: SentenceWords, run: Run, hadTitle: boolean): Entity["type"] {
	const words = tokens.slice(run.from, run.to + 1);
	const lower = words.map(word => word.lower.replace(POSSESSIVE, ""));
	// "Acme Bank" is an organisation, "Bank" alone just a word; "Hauptstraße" is one word and a place.
	if (lower.length > 1 && lower.some(word => ORGANISATION_WORDS.has(word))) return "organization";
	if (context.places.has(lower.join(" ")) || (lower.length > 1 && lower.some(word => PLACE_WORDS.has(word))) || lower.some(word => PLACE_SUFFIX.test(word))) return "place";
	if (hadTitle) return "person";
	const before = tokens[run.from - 1]?.lower;
	const after = tokens[run.to + 1]?.lower;
	const commaAfter = tokens[run.to + 1] !== undefined && gapIs(context.text, tokens[run.to], tokens[run.to + 1], /^, $/u);
	const personShaped = words.length >= 2 && words.length <= 4 && words.every(word => !/^\p{Lu}{2,}$/u.test(word.text) && word.text.length > 1);
	if (before && ROLES.has(before) && personShaped) return "person";
	if (commaAfter && after && ROLES.has(after) && personShaped) return "person";
	if (personShaped && ((after && REPORTING_VERBS.has(after)) || before === "said" || before === "says")) return "person";
	// "in Annex A" names a part of the document, not a place; "im Sommer" is just a German noun.
	if (before && PLACE_PREPOSITIONS.has(before) && !context.nounsCapitalised && words.every(word => word.text.length > 1)) return "place";
	return "other";
}

/**
 * Drops titles, and a sentence's first words while they are ordinary words written with a capital
 * ("The", "Customers"). Inside a sentence a capitalised stop word belongs to the name ("New York"),
 * except in languages that capitalise nouns, where it is a polite pronoun ("Ihren Auftrag").
 */
function trimRun(context: Context, { tokens, firstWord }: SentenceWords, run: Run): { run: Run; hadTitle: boolean } {
	let from = run.from;
	let hadTitle = TITLES.has(tokens[from - 1]?.lower ?? "");
	if (context.places.has(tokens.slice(run.from, run.to + 1).map(token => token.lower).join(" "))) return { run, hadTitle }; // "New Zealand"
	const atSentenceStart = run.from === firstWord;
	while (from <= run.to) {
		const word = tokens[from].lower;
		const stopword = context.text.language.isStopword(word) && (atSentenceStart || context.nounsCapitalised);
		const ordinary = stopword || (atSentenceStart && context.lowercaseWords.has(word));
		if (!ordinary && !TITLES.has(word)) break;
		hadTitle ||= TITLES.has(word);
		from++;
	}
	return { run: { from, to: run.to }, hadTitle };
}

export function findNames(text: Text, claimedSpans: Match[], places: Set<string>): Match[] {
	const lowercaseWords = new Set<string>();
	for (const sentence of text.sentences) for (const token of sentence.tokens) if (!isCapitalised(token)) lowercaseWords.add(token.lower);
	const context: Context = {
		text,
		places,
		lowercaseWords,
		nounsCapitalised: NOUN_CAPITALISING_LANGUAGES.has(text.language.code),
		claimed: token => overlapsAny(claimedSpans, token.start, token.end),
	};
	const names: Name[] = [];
	for (const sentence of text.sentences) {
		if (sentence.heading) continue;
		const words: SentenceWords = { tokens: sentence.tokens, firstWord: sentence.tokens.findIndex(token => /\p{L}/u.test(token.text)) };
		for (const found of capitalisedRuns(context, sentence.tokens)) {
			const { run, hadTitle } = trimRun(context, words, found);
			if (run.from > run.to) continue;
			const type = classify(context, words, run, hadTitle);
			const first = sentence.tokens[run.from];
			// One capitalised word and nothing else to go by: most likely an ordinary word.
			const weak = type === "other" && run.from === run.to && (run.from === words.firstWord || context.nounsCapitalised || lowercaseWords.has(first.lower));
			const last = sentence.tokens[run.to];
			const end = POSSESSIVE.test(last.text) ? last.end - 2 : last.end;
			const lower = sentence.tokens.slice(run.from, run.to + 1).map(token => token.lower.replace(POSSESSIVE, ""));
			names.push({ words: lower, start: first.start, end, type, weak });
		}
	}
	propagate(names);
	return names
		.filter(name => !(name.weak && name.type === "other"))
		.map(name => ({ type: name.type, text: text.input.slice(name.start, name.end), start: name.start, end: name.end }));
}

/** A later mention by surname or short name takes the type of the full name. */
function propagate(names: Name[]): void {
	const known = new Map<string, Entity["type"]>();
	for (const name of names) {
		if (name.type === "other") continue;
		if (name.type === "person") known.set(name.words[name.words.length - 1], "person");
		if (name.type === "organization") known.set(name.words[0], "organization");
		known.set(name.words.join(" "), name.type);
	}
	for (const name of names) if (name.type === "other") name.type = known.get(name.words.join(" ")) ?? "other";
}
