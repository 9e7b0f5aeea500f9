/**
 * Which language a text is in, and that language's stop words and stemmer. Everything is imported
 * on first use and kept per language (a few dozen at most), so an idle platform pays nothing.
 */

export interface LanguageTools {
	/** ISO 639-1 when the language has such a code, else ISO 639-3; "und" when undetermined. */
	code: string;
	/** ISO 639-3 as franc reports it. */
	iso3: string;
	isStopword(lower: string): boolean;
	/** The stem of a lower-case word (the word itself for languages without a stemmer). */
	stem(lower: string): string;
}

/** Below this many letters franc's trigrams guess; stop words decide instead. */
const SHORT_TEXT_LETTERS = 200;
/** Fewer letters than this and no stop word to go by: undetermined. */
const MIN_LETTERS = 20;
const SAMPLE_CHARACTERS = 4000;
/** Latin-script languages a short text is also checked against, since franc rarely ranks them for a few words. */
const COMMON_LATIN = ["eng", "deu", "fra", "spa", "ita", "por", "nld"];

/** franc names individual languages; the stop-word lists and ISO 639-1 know their macrolanguage. */
const MACROLANGUAGE: Record<string, string> = { arb: "ara", cmn: "zho", pes: "fas", zlm: "msa", swh: "swa", uzn: "uzb", azj: "aze", plt: "mlg", npi: "nep", ckb: "kur", nob: "nor" };

/** Snowball stemmers in @orama/stemmers, by ISO 639-3. */
const STEMMERS: Record<string, string> = {
	ara: "arabic", hye: "armenian", bul: "bulgarian", dan: "danish", nld: "dutch", eng: "english", fin: "finnish", fra: "french",
	deu: "german", ell: "greek", hun: "hungarian", ind: "indonesian", gle: "irish", ita: "italian", lit: "lithuanian", nep: "nepali",
	nor: "norwegian", por: "portuguese", ron: "romanian", rus: "russian", srp: "serbian", spa: "spanish", swe: "swedish", tam: "tamil",
	tur: "turkish", ukr: "ukrainian",
};

/** The stopword package's English list is short; these function words would otherwise become keywords. */
const MORE_ENGLISH_STOPWORDS = [
	"will", "shall", "may", "not", "no", "nor", "its", "it", "it's", "so", "just", "she", "us", "off", "yet", "per", "via", "upon",
	"does", "doesn't", "don't", "didn't", "isn't", "aren't", "wasn't", "weren't", "won't", "can't", "cannot", "within", "without",
	"against", "during", "across", "along", "among", "around", "behind", "below", "above", "beyond", "toward", "towards", "until",
	"whether", "either", "neither", "every", "few", "least", "less", "onto", "once", "ours", "own", "themselves", "itself", "herself",
	"yourself", "ourselves", "whom", "whose", "why", "when", "again", "further", "having", "doing", "i'm", "you're", "we're", "they're",
	"i've", "we've", "they've", "he's", "that's", "there's", "let", "lets", "says", "say", "told", "also", "even", "though", "although",
	"however", "thus", "therefore", "hence", "etc", "one", "two", "three", "new", "use", "used", "using", "including", "include",
	"includes", "would", "could", "should", "might", "must", "ever", "already", "rather", "quite", "almost", "s", "t",
	// Words of time and quantity that every report uses and no keyword list wants.
	"year", "years", "month", "months", "week", "weeks", "day", "days", "today", "yesterday", "tomorrow", "last", "next", "first", "ago",
	"percent", "time", "times", "lot", "thing", "things", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
	"twenty", "hundred", "thousand", "million", "billion",
];

interface Resources {
	stopwords: Set<string>;
	stem: (lower: string) => string;
}

const resources = new Map<string, Promise<Resources>>();
let stopwordLists: Promise<Record<string, unknown>> | undefined;

async function stopwordsOf(iso3: string): Promise<Set<string>> {
	stopwordLists ??= import("stopword") as Promise<Record<string, unknown>>;
	const lists = await stopwordLists;
	const list = lists[iso3] ?? lists[MACROLANGUAGE[iso3] ?? ""];
	const words = new Set(Array.isArray(list) ? (list as string[]) : []);
	if (iso3 === "eng") for (const word of MORE_ENGLISH_STOPWORDS) words.add(word);
	return words;
}

async function stemmerOf(iso3: string): Promise<(lower: string) => string> {
	const name = STEMMERS[MACROLANGUAGE[iso3] ?? iso3];
	if (!name) return lower => lower;
	const module = (await import(`@orama/stemmers/${name}`)) as { stemmer: (word: string) => string };
	return module.stemmer;
}

function resourcesOf(iso3: string): Promise<Resources> {
	let loaded = resources.get(iso3);
	if (!loaded) {
		loaded = Promise.all([stopwordsOf(iso3), stemmerOf(iso3)]).then(([stopwords, stem]) => ({ stopwords, stem }));
		resources.set(iso3, loaded);
	}
	return loaded;
}

async function iso1(iso3: string): Promise<string> {
	if (iso3 === "und") return "und";
	const { iso6393To1 } = await import("iso-639-3/iso6393-to-1.js");
	return iso6393To1[MACROLANGUAGE[iso3] ?? iso3] ?? iso3;
}

function letterCount(text: string): number {
	return text.match(/\p{L}/gu)?.length ?? 0;
}

/**
 * franc's trigram statistics need a few sentences; for a short text ("Great product, I love it."
 * comes out as Serbian) the language whose stop words cover most of the words wins instead.
 */
async function detect(text: string, words: string[]): Promise<string> {
	const sample = text.slice(0, SAMPLE_CHARACTERS);
	const { francAll } = await import("franc-min");
	const ranked = francAll(sample, { minLength: 3 });
	const top = ranked[0]?.[0] ?? "und";
	const letters = letterCount(sample);
	if (letters >= SHORT_TEXT_LETTERS) return top;
	const candidates = new Set(ranked.slice(0, 5).map(([code]) => code).filter(code => code !== "und"));
	if (/\p{Script=Latin}/u.test(sample)) for (const code of COMMON_LATIN) candidates.add(code);
	let best = { code: top, hits: 0 };
	for (const code of candidates) {
		const { stopwords } = await resourcesOf(code);
		const hits = words.filter(word => stopwords.has(word)).length;
		if (hits > best.hits) best = { code, hits };
	}
	if (best.hits === 0 && letters < MIN_LETTERS) return "und";
	return best.code;
}

export async function languageTools(text: string, words: string[]): Promise<LanguageTools> {
	const iso3 = await detect(text, words);
	const [{ stopwords, stem }, code] = await Promise.all([resourcesOf(iso3), iso1(iso3)]);
	const stems = new Map<string, string>();
	return {
		code,
		iso3,
		isStopword: lower => stopwords.has(lower),
		stem(lower) {
			let stemmed = stems.get(lower);
			if (stemmed === undefined) {
				stemmed = stem(lower);
				stems.set(lower, stemmed);
			}
			return stemmed;
		},
	};
}
