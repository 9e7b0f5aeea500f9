import type { Text } from "./text.ts";

/**
 * Coarse subject categories from an English seed vocabulary: a category is a topic of the text when
 * several of its seed words occur often enough. Texts that fit no category (and texts in other
 * languages, which the seeds do not cover) get their leading keywords as topics instead.
 */

const CATEGORIES: Record<string, string[]> = {
	business: ["company", "companies", "revenue", "profit", "market", "customer", "sales", "business", "quarter", "growth", "industry", "firm", "shareholder", "acquisition", "merger", "startup", "executive", "earnings", "brand", "retail", "supplier", "product"],
	finance: ["bank", "investment", "investor", "stock", "shares", "bond", "interest", "inflation", "loan", "credit", "debt", "currency", "fund", "financial", "price", "budget", "tax", "dividend", "capital", "payment", "economy", "economic"],
	law: ["contract", "agreement", "party", "parties", "clause", "liability", "court", "law", "legal", "termination", "obligation", "breach", "jurisdiction", "indemnify", "warranty", "licensee", "licensor", "tenant", "landlord", "statute", "plaintiff", "defendant", "confidential", "provision"],
	technology: ["software", "data", "computer", "technology", "digital", "internet", "app", "cloud", "device", "algorithm", "network", "online", "platform", "artificial", "intelligence", "chip", "smartphone", "cyber", "server", "code", "battery", "screen"],
	politics: ["government", "election", "minister", "parliament", "policy", "vote", "president", "party", "senate", "congress", "political", "campaign", "law", "regulation", "state", "diplomatic", "sanction", "treaty", "opposition", "coalition"],
	health: ["health", "patient", "doctor", "hospital", "disease", "treatment", "medical", "medicine", "vaccine", "clinical", "drug", "symptom", "therapy", "virus", "care", "nurse", "diagnosis", "infection", "cancer", "mental"],
	science: ["research", "study", "scientist", "experiment", "university", "physics", "chemistry", "biology", "researcher", "laboratory", "theory", "discovery", "species", "data", "evidence", "hypothesis", "journal", "analysis"],
	environment: ["climate", "energy", "emission", "carbon", "renewable", "solar", "wind", "environment", "environmental", "pollution", "sustainable", "fossil", "temperature", "warming", "electricity", "recycling", "biodiversity", "forest", "water"],
	sports: ["game", "team", "player", "season", "match", "coach", "league", "championship", "tournament", "score", "goal", "win", "victory", "football", "soccer", "basketball", "tennis", "olympic", "athlete", "stadium"],
	education: ["school", "student", "teacher", "education", "university", "course", "learning", "class", "curriculum", "exam", "degree", "college", "teaching", "academic", "pupil", "lecture"],
	travel: ["travel", "hotel", "flight", "trip", "tourist", "tourism", "destination", "airport", "vacation", "holiday", "booking", "beach", "passenger", "journey", "luggage"],
	entertainment: ["film", "movie", "music", "album", "song", "artist", "actor", "actress", "concert", "festival", "show", "series", "book", "novel", "theatre", "theater", "game", "streaming"],
	employment: ["employee", "employer", "salary", "job", "hiring", "worker", "workforce", "wage", "staff", "recruitment", "career", "labor", "labour", "union", "employment", "remote", "vacancy"],
};
const MAX_TOPICS = 3;
/** A topic needs this many different seed words ... */
const MIN_DISTINCT_SEEDS = 2;
/** ... making up at least this share of the text's content words. */
const MIN_SHARE = 0.02;

export function findTopics(text: Text, keywords: () => string[]): string[] {
	const terms = text.terms.flat();
	if (text.language.code === "en" && terms.length > 0) {
		const counts = new Map<string, number>();
		for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
		const found = Object.entries(CATEGORIES)
			.map(([topic, seeds]) => {
				const stems = new Set(seeds.map(seed => text.language.stem(seed)));
				const hits = [...stems].map(stem => counts.get(stem) ?? 0).filter(count => count > 0);
				return { topic, distinct: hits.length, share: hits.reduce((a, b) => a + b, 0) / terms.length };
			})
			.filter(({ distinct, share }) => distinct >= MIN_DISTINCT_SEEDS && share >= MIN_SHARE)
			.sort((a, b) => b.share - a.share || a.topic.localeCompare(b.topic))
			.slice(0, MAX_TOPICS)
			.map(({ topic }) => topic);
		if (found.length > 0) return found;
	}
	return keywords().slice(0, MAX_TOPICS);
}
