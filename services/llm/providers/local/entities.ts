import type { Entity } from "../../../../shared/contracts/llm.ts";
import { findPatternEntities, type Match } from "./entity-patterns.ts";
import { findNames } from "./names.ts";
import type { Text } from "./text.ts";

/** A long document names thousands of things; the answer lists the first this many distinct ones. */
const MAX_ENTITIES = 200;

let gazetteer: Promise<Set<string>> | undefined;

/** Countries (English and native names, aliases), their capitals and the continents, in lower case. */
function placeNames(): Promise<Set<string>> {
	gazetteer ??= import("countries-list").then(({ countries, continents }) => {
		const names = new Set<string>(Object.values(continents).map(name => name.toLowerCase()));
		for (const country of Object.values(countries)) {
			for (const name of [country.name, country.native, country.capital, ...(country.alias ?? [])]) {
				if (name) names.add(name.toLowerCase());
			}
		}
		return names;
	});
	return gazetteer;
}

/**
 * One entry per distinct entity at its first occurrence (`offset` in UTF-16 code units, as
 * JavaScript indexes strings). A name seen with several types takes its most frequent specific one.
 */
export async function extractEntities(text: Text): Promise<Entity[]> {
	const patterns = findPatternEntities(text.input);
	const mentions = [...patterns, ...findNames(text, patterns, await placeNames())].sort((a, b) => a.start - b.start);
	const byText = new Map<string, { first: Match; types: Map<Entity["type"], number> }>();
	for (const mention of mentions) {
		const key = mention.text.toLowerCase();
		const entry = byText.get(key) ?? { first: mention, types: new Map() };
		entry.types.set(mention.type, (entry.types.get(mention.type) ?? 0) + 1);
		byText.set(key, entry);
	}
	const entities: Entity[] = [];
	for (const { first, types } of byText.values()) {
		if (entities.length >= MAX_ENTITIES) break;
		const specific = [...types].filter(([type]) => type !== "other").sort((a, b) => b[1] - a[1]);
		entities.push({ type: specific[0]?.[0] ?? first.type, text: first.text, offset: first.start });
	}
	return entities;
}
