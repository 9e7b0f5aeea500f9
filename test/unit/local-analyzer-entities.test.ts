import { expect } from "chai";
import { loadConfig } from "../../shared/config.ts";
import type { Entity } from "../../shared/contracts/llm.ts";
import { localProvider } from "../../services/llm/providers/local/index.ts";

const PRESS_RELEASE = `Acme Robotics Inc. announced on Tuesday, March 5, 2024 that it will open a research centre in Munich. "Munich has the engineers we need," said Dr. Maria Schulz, the company's chief technology officer. The new site will cost €45 million and employ 300 people by 2026.

Acme's chief executive, Tom Becker, told reporters the company expects revenue of $1.2 billion this year, up from US$ 980 million. Contracts with Siemens AG were signed on 12/02/2024 and on 2024-02-28. Shares rose 4% in New York.

Press contact: Laura Chen, press@acme-robotics.com, +1 (415) 555-0142 or 415-555-0199. Tel.: 089 1234567. Details: https://www.acme-robotics.com/news/munich-centre (German: www.acme-robotics.de/presse).`;

const GERMAN_LETTER = `Sehr geehrte Frau Wagner,

wir bestätigen Ihren Auftrag vom 15. März 2024 über 1.250,00 € zuzüglich Mehrwertsteuer. Die Lieferung an die Müller Logistik GmbH in der Hafenstraße 12 in Berlin erfolgt am 2. April 2024. Bei Fragen erreichen Sie uns unter +49 40 123456-0 oder info@beispiel.de.`;

const config = loadConfig({});

async function entitiesOf(input: string): Promise<Entity[]> {
	const response = await localProvider.complete({ model: "extractive", messages: [], params: {}, task: { types: ["entities"], input } }, config);
	return response.data!.entities!;
}

function find(entities: Entity[], text: string): Entity | undefined {
	return entities.find(entity => entity.text === text);
}

function textsOfType(entities: Entity[], type: Entity["type"]): string[] {
	return entities.filter(entity => entity.type === type).map(entity => entity.text);
}

/** Each named text is among the entities with the given type. */
function expectTypes(entities: Entity[], expected: Record<string, Entity["type"]>): void {
	const actual = Object.fromEntries(Object.keys(expected).map(text => [text, find(entities, text)?.type]));
	expect(actual).to.deep.equal(expected);
}

describe("local analyzer: entities", () => {
	let english: Entity[];
	let german: Entity[];

	before(async () => {
		english = await entitiesOf(PRESS_RELEASE);
		german = await entitiesOf(GERMAN_LETTER);
	});

	it("gives every entity the character offset of its first mention, in text order", () => {
		for (const [input, entities] of [[PRESS_RELEASE, english], [GERMAN_LETTER, german]] as const) {
			expect(entities.length).to.be.greaterThan(5);
			for (const entity of entities) {
				expect(entity.offset, entity.text).to.be.a("number");
				expect(input.slice(entity.offset!, entity.offset! + entity.text.length), `offset of ${entity.text}`).to.equal(entity.text);
			}
			const offsets = entities.map(entity => entity.offset!);
			expect(offsets).to.deep.equal([...offsets].sort((a, b) => a - b));
		}
		// "Munich" is mentioned twice; the entity points at the first.
		expect(find(english, "Munich")?.offset).to.equal(PRESS_RELEASE.indexOf("Munich"));
	});

	it("finds e-mail addresses and URLs without trailing punctuation", () => {
		expectTypes(english, { "press@acme-robotics.com": "email", "https://www.acme-robotics.com/news/munich-centre": "url", "www.acme-robotics.de/presse": "url" });
		expectTypes(german, { "info@beispiel.de": "email" });
	});

	it("finds dates written in words and in numbers, English and German", () => {
		expect(textsOfType(english, "date")).to.include.members(["Tuesday, March 5, 2024", "12/02/2024", "2024-02-28"]);
		expect(textsOfType(german, "date")).to.deep.equal(["15. März 2024", "2. April 2024"]);
	});

	it("finds money amounts with their currency and scale", () => {
		expect(textsOfType(english, "amount")).to.deep.equal(["€45 million", "$1.2 billion", "US$ 980 million"]);
		expect(textsOfType(german, "amount")).to.deep.equal(["1.250,00 €"]);
	});

	it("finds phone numbers in international, North American and labelled local formats, not other numbers", () => {
		expect(textsOfType(english, "phone")).to.deep.equal(["+1 (415) 555-0142", "415-555-0199", "089 1234567"]);
		expect(textsOfType(german, "phone")).to.deep.equal(["+49 40 123456-0"]);
		for (const number of ["300", "2026", "4%"]) expect(find(english, number)).to.equal(undefined);
	});

	it("recognises people by titles, roles and reporting verbs", () => {
		expectTypes(english, { "Maria Schulz": "person", "Tom Becker": "person", "Laura Chen": "person" });
		expectTypes(german, { Wagner: "person" });
	});

	it("keeps a name whole when extracted PDF text wraps the line inside it", async () => {
		// PDF text keeps the page's line breaks; the first line is body text, not a heading.
		const wrapped = "The solar farm near Seville produced 4,200 MWh. Dr. Maria\nLopez, the operations lead, said so.";
		const person = (await entitiesOf(wrapped)).find(entity => entity.type === "person");
		expect(person?.text).to.equal("Maria\nLopez");
		expect(wrapped.slice(person!.offset, person!.offset! + person!.text.length)).to.equal(person!.text);
	});

	it("recognises organisations by their legal form and places by gazetteer, street or preposition", () => {
		expectTypes(english, { "Acme Robotics Inc": "organization", "Siemens AG": "organization", Munich: "place", "New York": "place" });
		expectTypes(german, { "Müller Logistik GmbH": "organization", Hafenstraße: "place", Berlin: "place" });
	});

	it("lists each entity once, and a possessive under the name itself", () => {
		const texts = english.map(entity => entity.text.toLowerCase());
		expect(texts).to.deep.equal([...new Set(texts)]);
		expect(find(english, "Acme's")).to.equal(undefined);
	});

	it("does not take capitalised ordinary words, weekdays or German nouns for names", () => {
		for (const word of ["The", "Shares", "Press", "Details", "Tuesday", "March", "Contracts"]) expect(find(english, word), word).to.equal(undefined);
		for (const noun of ["Auftrag", "Ihren Auftrag", "Lieferung", "Fragen", "Mehrwertsteuer"]) expect(find(german, noun), noun).to.equal(undefined);
	});

	it("marks a name it cannot classify as other rather than guessing", async () => {
		const entities = await entitiesOf("The report was reviewed by the Zephyr Quorum before publication.");
		expect(find(entities, "Zephyr Quorum")?.type).to.equal("other");
	});

	it("finds nothing in a text without entities, and handles unicode around them", async () => {
		expect(await entitiesOf("the weather was mild and the garden quiet.")).to.deep.equal([]);
		const input = "😀 Emoji first, then mail to josé.garcía@correo.es on 3 mai 2024.";
		const entities = await entitiesOf(input);
		const mail = find(entities, "josé.garcía@correo.es");
		expect(mail?.type).to.equal("email");
		expect(input.slice(mail!.offset!, mail!.offset! + mail!.text.length)).to.equal(mail!.text);
		expect(find(entities, "3 mai 2024")?.type).to.equal("date");
	});
});
