import { expect } from "chai";
import { loadConfig } from "../../shared/config.ts";
import type { AnalysisData, AnalysisTask, AnalysisTaskType, CompletionParams } from "../../shared/contracts/llm.ts";
import { localProvider } from "../../services/llm/providers/local/index.ts";
import { ProviderError, type ProviderResponse } from "../../services/llm/providers/provider.ts";

const NEWS = `Solar Power Overtakes Coal in Europe

BRUSSELS, March 14, 2024 — Solar power generated more electricity than coal across the European Union for the first time last year, according to a report published on Tuesday by the energy think tank Ember. The report found that solar panels supplied 9.1% of the bloc's electricity in 2023, while coal fell to 8.9%.

Renewable energy sources together produced 44% of the EU's electricity, a record share. Wind power alone overtook gas, the report said. Analysts attributed the shift to falling solar panel prices and to the energy crisis that followed Russia's invasion of Ukraine, which pushed governments to cut their dependence on imported fossil fuels.

"The speed of the transition has surprised even the optimists," said Dr. Sarah Brown, the lead author of the study. She added that Germany, Spain and the Netherlands installed the most new solar capacity. Investment in renewable energy reached €110 billion in 2023, up from €92 billion a year earlier.

Not everyone is convinced the trend will last. Industry groups warn that grid bottlenecks could slow new solar projects, and some member states still rely heavily on coal. Poland, for example, generated more than 60% of its electricity from coal last year. The European Commission plans to publish new rules for grid investment on June 5, 2024.

For questions, contact the press office at press@ember-climate.org or call +44 20 7946 0958. The full report is available at https://ember-climate.org/insights/research/european-electricity-review-2024/.`;

const CONTRACT = `SERVICE AGREEMENT

This Service Agreement (the "Agreement") is entered into on 1 February 2024 between Acme Analytics GmbH, Hauptstraße 5, 10115 Berlin ("Provider"), and Northwind Traders Ltd., 12 King Street, London ("Client").

1. Services. The Provider shall deliver monthly data analysis reports to the Client as described in Annex A. The Provider shall perform the services with reasonable care and skill.

2. Fees. The Client shall pay a monthly fee of EUR 4,500.00 within 30 days of receipt of each invoice. Late payments bear interest at 5% per year. All fees are exclusive of value added tax.

3. Term and Termination. This Agreement begins on 1 March 2024 and continues for twelve months. Either party may terminate this Agreement with 60 days' written notice. Either party may terminate this Agreement immediately if the other party commits a material breach that is not remedied within 14 days.

4. Confidentiality. Each party shall keep confidential all information received from the other party and shall not disclose it to any third party without prior written consent.

5. Liability. The Provider's total liability under this Agreement shall not exceed the fees paid by the Client in the twelve months before the claim.`;

const REVIEW = `I bought these headphones for my daily commute and I absolutely love them. The noise cancelling is excellent and the battery easily lasts a whole week. The sound is warm and clear, and the app is easy to use.

However, the ear cushions are not comfortable after two hours, and the case feels cheap. Still, for $149 they are a great deal and I would recommend them to anyone.`;

const COMPLAINT = `This blender is terrible. It broke after two days and the motor smells like burning plastic. Customer support never answered my emails. The lid does not fit and leaks everywhere. I am very disappointed and I would not buy it again. A complete waste of money.`;

const GERMAN = `Die Bundesregierung hat am Mittwoch ein neues Klimaschutzgesetz beschlossen. Nach dem Entwurf sollen die Emissionen bis 2030 um 65 Prozent gegenüber 1990 sinken. Der Ausbau der Windkraft und der Solarenergie soll deutlich beschleunigt werden.

Umweltverbände begrüßten das Gesetz, kritisierten aber die langen Genehmigungsverfahren für neue Windräder. Die Opposition bezeichnete die Pläne als zu teuer für die Industrie. Das Gesetz soll im Sommer vom Bundestag verabschiedet werden.`;

const FRENCH = `Le gouvernement français a présenté mercredi un plan pour rénover les logements anciens. Selon le ministère, plus de cinq millions de logements sont mal isolés et consomment trop d'énergie. Le plan prévoit des aides financières pour les ménages modestes.

Les associations de locataires saluent cette initiative, mais elles estiment que les aides restent insuffisantes. Les travaux de rénovation devraient commencer dès le mois de septembre.`;

const config = loadConfig({});

async function respond(types: AnalysisTaskType[], input: string, params: CompletionParams = {}, question?: string): Promise<ProviderResponse> {
	const task: AnalysisTask = { types, input, ...(question === undefined ? {} : { question }) };
	return localProvider.complete({ model: "extractive", messages: [], params, task }, config);
}

async function analyze(types: AnalysisTaskType[], input: string, params: CompletionParams = {}, question?: string): Promise<AnalysisData> {
	const response = await respond(types, input, params, question);
	expect(response.data, "structured data").to.be.an("object");
	return response.data!;
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
	try {
		await promise;
	} catch (err) {
		if (err instanceof ProviderError) return err;
		throw err;
	}
	throw new Error("expected a ProviderError");
}

/** How many sentences a summary has, counted by closing punctuation. */
function sentenceCount(summary: string): number {
	return summary.match(/[.!?](?=\s|$)/g)?.length ?? 0;
}

/** A long text of distinct sentences of made-up words, generated deterministically; every 50th mentions storage capacity. */
function longText(words: number): string {
	const syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vo", "pel", "dri", "an", "os", "ke"];
	let seed = 11;
	const next = (below: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * below);
	const word = () => Array.from({ length: 2 + next(2) }, () => syllables[next(syllables.length)]).join("");
	const sentences: string[] = [];
	for (let count = 0; count < words; ) {
		const length = 8 + next(15);
		const picked = Array.from({ length }, word);
		if (sentences.length % 50 === 49) picked.splice(3, 0, "storage", "capacity");
		const sentence = picked.join(" ");
		sentences.push(`${sentence[0].toUpperCase()}${sentence.slice(1)}.`);
		count += picked.length;
		if (next(7) === 0) sentences.push("\n\n");
	}
	return sentences.join(" ");
}

describe("local analyzer", () => {
	describe("as a provider", () => {
		it("is the always-configured offline provider with one model and no chat", () => {
			expect(localProvider.name).to.equal("local");
			expect(localProvider.models(config)).to.deep.equal(["extractive"]);
			expect(localProvider.defaultModel(config)).to.equal("extractive");
			expect(localProvider.isConfigured(config)).to.equal(true);
			expect(localProvider.supportsChat).to.equal(false);
			expect(localProvider.priceSource).to.equal(undefined);
		});

		it("refuses free-form chat with an honest unsupported error instead of inventing text", async () => {
			const err = await providerError(localProvider.complete({ model: "extractive", messages: [{ role: "user", content: "Write me a poem about the sea" }], params: {} }, config));
			expect(err.provider).to.equal("local");
			expect(err.kind).to.equal("unsupported");
			expect(err.retryable).to.equal(false);
			expect(err.message).to.match(/only answers analysis tasks/);
		});

		it("rejects malformed tasks as client errors naming the problem", async () => {
			expect((await providerError(respond([], NEWS))).message).to.match(/names no analysis/);
			expect((await providerError(respond(["summary", "poem" as AnalysisTaskType], NEWS))).message).to.match(/unknown analysis poem/);
			const noQuestion = await providerError(respond(["question"], NEWS, {}, "  "));
			expect(noQuestion.kind).to.equal("client_error");
			expect(noQuestion.message).to.match(/needs the question/);
		});

		it("answers with the data, its readable text, token estimates and stop", async () => {
			const response = await respond(["summary", "keywords"], NEWS);
			expect(response.model).to.equal("extractive");
			expect(response.finishReason).to.equal("stop");
			expect(response.text).to.equal(response.data!.summary);
			expect(Object.keys(response.data!).sort()).to.deep.equal(["keywords", "summary"]);
			expect(response.usage.inputTokens).to.be.within(NEWS.length / 5, NEWS.length / 3);
			expect(response.usage.outputTokens).to.be.greaterThan(0).and.lessThan(response.usage.inputTokens);
		});

		it("renders a compact text when no summary was asked for", async () => {
			const response = await respond(["sentiment", "language"], REVIEW);
			expect(response.text).to.match(/^Sentiment: positive \(0\.\d+\)\nLanguage: en$/);
		});

		it("gives the same answer for the same input and knobs, and a different one when a knob changes", async () => {
			const types: AnalysisTaskType[] = ["summary", "key_points", "keywords", "entities", "sentiment", "topics", "language", "readability", "statistics"];
			const first = await analyze(types, NEWS, { sentences: 2, keywords: 5, temperature: 0.9 });
			const again = await analyze(types, NEWS, { sentences: 2, keywords: 5, temperature: 0 });
			expect(again).to.deep.equal(first);
			const changed = await analyze(types, NEWS, { sentences: 4, keywords: 5 });
			expect(changed.summary).to.not.equal(first.summary);
		});

		it("stops when the request is aborted", async () => {
			const controller = new AbortController();
			controller.abort();
			const err = await providerError(localProvider.complete({ model: "extractive", messages: [], params: {}, task: { types: ["summary"], input: NEWS }, signal: controller.signal }, config));
			expect(err.kind).to.equal("aborted");
		});
	});

	describe("summary and key points", () => {
		it("picks the central sentences of a news report, in text order", async () => {
			const { summary } = await analyze(["summary"], NEWS);
			expect(sentenceCount(summary!)).to.equal(3);
			expect(summary).to.match(/^BRUSSELS, March 14, 2024 — Solar power generated more electricity than coal/);
			expect(summary).to.include("solar panels supplied 9.1%");
			// Peripheral sentences: the contact line, the link, the quote, the headline.
			expect(summary).to.not.match(/press office|full report|surprised|Overtakes/);
		});

		it("summarises a contract by its obligations, not its headings or numbering", async () => {
			const { summary } = await analyze(["summary"], CONTRACT);
			expect(summary).to.include("Either party may terminate this Agreement with 60 days' written notice.");
			expect(summary).to.not.match(/^SERVICE AGREEMENT|Confidentiality\.|^\d\./);
		});

		it("follows the sentences knob for both summary and key points", async () => {
			for (const sentences of [1, 2, 5]) {
				const data = await analyze(["summary", "key_points"], NEWS, { sentences });
				expect(sentenceCount(data.summary!), `summary of ${sentences}`).to.equal(sentences);
				expect(data.key_points).to.have.length(sentences);
			}
		});

		it("lists five key points by default, most important first, each a sentence of the text", async () => {
			const { key_points: points } = await analyze(["key_points"], NEWS);
			expect(points).to.have.length(5);
			for (const point of points!) expect(NEWS.replace(/\s+/g, " ")).to.include(point);
			expect(points![0]).to.match(/^BRUSSELS/);
		});

		it("does not repeat a sentence that says the same as one already chosen", async () => {
			const repeated = `${NEWS}\n\nSolar power generated more electricity than coal across the European Union for the first time last year, the report says.`;
			const { key_points: points } = await analyze(["key_points"], repeated, { sentences: 3 });
			expect(points!.filter(point => point.includes("Solar power generated more electricity than coal"))).to.have.length(1);
		});

		it("summarises a German text in German", async () => {
			const { summary } = await analyze(["summary"], GERMAN, { sentences: 2 });
			expect(summary).to.include("Klimaschutzgesetz");
			expect(sentenceCount(summary!)).to.equal(2);
		});
	});

	describe("keywords and topics", () => {
		it("finds the subject words of a report, most important first, without stop words or filler", async () => {
			const { keywords } = await analyze(["keywords"], NEWS);
			expect(keywords).to.have.length(8);
			expect(keywords!.slice(0, 3)).to.include.members(["solar", "coal", "electricity"]);
			for (const filler of ["the", "last year", "said", "more", "than", "generated", "http"]) expect(keywords).to.not.include(filler);
		});

		it("keeps key phrases of several words and the capitals of names", async () => {
			const { keywords } = await analyze(["keywords"], REVIEW);
			expect(keywords).to.include.members(["noise cancelling", "daily commute", "headphones", "battery"]);
			const contract = await analyze(["keywords"], CONTRACT);
			expect(contract.keywords).to.include.members(["Agreement", "Provider", "Client"]);
		});

		it("leaves titles, legal forms and calendar words out", async () => {
			const { keywords } = await analyze(["keywords"], "Acme Robotics Inc. opened a robot plant in Munich on Tuesday, March 5. Dr. Maria Schulz leads the plant.");
			expect(keywords).to.include("plant");
			for (const noise of ["Inc", "inc", "Dr", "dr", "March", "Tuesday"]) expect(keywords).to.not.include(noise);
		});

		it("follows the keywords knob", async () => {
			expect((await analyze(["keywords"], NEWS, { keywords: 3 })).keywords).to.have.length(3);
			expect((await analyze(["keywords"], NEWS, { keywords: 12 })).keywords).to.have.length(12);
		});

		it("uses each language's stop words", async () => {
			const german = await analyze(["keywords"], GERMAN);
			expect(german.keywords).to.include("Gesetz");
			for (const stopword of ["die", "der", "und", "soll"]) expect(german.keywords!.map(k => k.toLowerCase())).to.not.include(stopword);
			const french = await analyze(["keywords"], FRENCH);
			expect(french.keywords).to.include.members(["logements", "aides"]);
			for (const stopword of ["les", "des", "pour", "le"]) expect(french.keywords).to.not.include(stopword);
		});

		it("names the subject categories of English texts and falls back to keywords elsewhere", async () => {
			expect((await analyze(["topics"], NEWS)).topics).to.include("environment");
			expect((await analyze(["topics"], CONTRACT)).topics![0]).to.equal("law");
			const french = await analyze(["topics", "keywords"], FRENCH);
			expect(french.topics).to.deep.equal(french.keywords!.slice(0, 3));
		});
	});

	describe("sentiment", () => {
		it("tells a positive review from a negative one", async () => {
			const positive = (await analyze(["sentiment"], REVIEW)).sentiment!;
			const negative = (await analyze(["sentiment"], COMPLAINT)).sentiment!;
			expect(positive.label).to.equal("positive");
			expect(positive.score).to.be.greaterThan(0.2).and.at.most(1);
			expect(negative.label).to.equal("negative");
			expect(negative.score).to.be.lessThan(-0.2).and.at.least(-1);
		});

		it("flips negated words", async () => {
			expect((await analyze(["sentiment"], "The food was good.")).sentiment!.label).to.equal("positive");
			expect((await analyze(["sentiment"], "The food was not good.")).sentiment!.label).to.equal("negative");
			expect((await analyze(["sentiment"], "The service wasn't very helpful.")).sentiment!.label).to.equal("negative");
			expect((await analyze(["sentiment"], "Honestly, the hotel was not bad at all.")).sentiment!.label).to.equal("positive");
		});

		it("weighs what follows a 'but' more, and calls clear praise with clear criticism mixed", async () => {
			expect((await analyze(["sentiment"], "The screen is great but the battery is awful.")).sentiment!.label).to.equal("negative");
			expect((await analyze(["sentiment"], "The battery is awful but the screen is great.")).sentiment!.label).to.equal("positive");
			const mixed = (await analyze(["sentiment"], "The staff were wonderful and friendly. The room was dirty and noisy.")).sentiment!;
			expect(mixed.label).to.equal("mixed");
		});

		it("keeps a factual contract neutral despite words like 'interest' and 'care'", async () => {
			expect((await analyze(["sentiment"], CONTRACT)).sentiment!.label).to.equal("neutral");
		});

		it("does not score other languages with English words", async () => {
			// "die" is a German article, not the English verb.
			expect((await analyze(["sentiment"], GERMAN)).sentiment).to.deep.equal({ label: "neutral", score: 0 });
		});
	});

	describe("language, readability and statistics", () => {
		it("names the language by its ISO 639-1 code, even for a short text", async () => {
			expect((await analyze(["language"], NEWS)).language).to.equal("en");
			expect((await analyze(["language"], GERMAN)).language).to.equal("de");
			expect((await analyze(["language"], FRENCH)).language).to.equal("fr");
			expect((await analyze(["language"], "Great product, I love it!")).language).to.equal("en");
			expect((await analyze(["language"], "Привет, как дела? Всё хорошо, спасибо.")).language).to.equal("ru");
			expect((await analyze(["language"], "ok")).language).to.equal("und");
		});

		it("rates plain writing easier than legal writing", async () => {
			const plain = (await analyze(["readability"], "The cat sat on the mat. It was a sunny day. We had fun.")).readability!;
			const legal = (await analyze(["readability"], CONTRACT)).readability!;
			expect(plain.fleschReadingEase).to.be.greaterThan(90);
			expect(plain.gradeLevel).to.be.lessThan(3);
			expect(legal.fleschReadingEase).to.be.lessThan(60);
			expect(legal.gradeLevel).to.be.greaterThan(plain.gradeLevel + 5);
		});

		it("counts characters, words, sentences and paragraphs", async () => {
			const { statistics } = await analyze(["statistics"], "Hello world. This is a test!\n\nSecond paragraph here? Yes.");
			expect(statistics).to.deep.equal({ characters: 57, words: 10, sentences: 4, paragraphs: 2 });
			expect((await analyze(["statistics"], REVIEW)).statistics).to.include({ sentences: 5, paragraphs: 2 });
		});

		it("counts an emoji as one character and splits Japanese into words", async () => {
			expect((await analyze(["statistics"], "Nice 👍🏽")).statistics).to.include({ characters: 7, words: 1 });
			const japanese = (await analyze(["statistics", "language"], "東京は日本の首都です。人口は約1400万人です。"))!;
			expect(japanese.language).to.equal("ja");
			expect(japanese.statistics!.sentences).to.equal(2);
			expect(japanese.statistics!.words).to.be.greaterThan(6);
		});

		it("keeps abbreviations, initials, decimals and numbered items inside their sentences", async () => {
			const text = "Dr. Jane Miller met John F. Kennedy Jr. at 9.30 a.m. in the U.S. office. Revenue rose 12.5% to $94.8 billion. 2. Fees. Payment is due e.g. within 30 days, costs etc. are extra.";
			const { statistics, key_points: points } = await analyze(["statistics", "key_points"], text, { sentences: 5 });
			expect(statistics!.sentences).to.equal(4);
			expect(points).to.include("Dr. Jane Miller met John F. Kennedy Jr. at 9.30 a.m. in the U.S. office.");
		});
	});

	describe("extractive answers", () => {
		it("quotes the best-matching sentence, labelled as extractive", async () => {
			const { answer } = await analyze(["question"], NEWS, {}, "How much was invested in renewable energy?");
			expect(answer).to.match(/^Best-matching passage \(extractive, quoted from the text\): "/);
			expect(answer).to.include("Investment in renewable energy reached €110 billion in 2023");
		});

		it("prefers a sentence with a date for a 'when' question", async () => {
			const { answer } = await analyze(["question"], NEWS, {}, "When will the Commission publish the rules?");
			expect(answer).to.include("June 5, 2024");
		});

		it("says so when nothing in the text matches, instead of inventing an answer", async () => {
			const response = await respond(["question"], NEWS, {}, "Who won the football match?");
			expect(response.data!.answer).to.match(/^No passage of the text matches the question/);
			expect(response.text).to.equal(response.data!.answer);
		});
	});

	describe("awkward inputs", () => {
		const everything: AnalysisTaskType[] = ["summary", "key_points", "keywords", "entities", "sentiment", "topics", "language", "readability", "statistics", "question"];

		it("answers every field for an empty or blank text", async () => {
			for (const input of ["", "  \n\n \t "]) {
				const data = await analyze(everything, input, {}, "What is this?");
				expect(data).to.include({ summary: "", language: "und" });
				expect(data).to.deep.include({ key_points: [], keywords: [], entities: [], topics: [], sentiment: { label: "neutral", score: 0 } });
				expect(data.statistics).to.include({ words: 0, sentences: 0, paragraphs: 0 });
				expect(data.readability).to.deep.equal({ fleschReadingEase: 0, gradeLevel: 0 });
				expect(data.answer).to.match(/^No passage/);
			}
		});

		it("summarises a one-sentence text as that sentence", async () => {
			const data = await analyze(["summary", "key_points"], "  The meeting moved to Friday.  ");
			expect(data.summary).to.equal("The meeting moved to Friday.");
			expect(data.key_points).to.deep.equal(["The meeting moved to Friday."]);
		});

		it("splits text written all in lower case at its periods", async () => {
			const { statistics } = await analyze(["statistics"], "meeting notes. we agreed on the budget. next call is on friday. bring the slides.");
			expect(statistics!.sentences).to.equal(4);
		});

		it("cuts text without punctuation into sentence-sized pieces", async () => {
			const words = Array.from({ length: 200 }, (_, i) => ["river", "stone", "garden", "window", "lantern"][i % 5] + (i % 7)).join(" ");
			const { statistics, summary } = await analyze(["statistics", "summary"], words, { sentences: 1 });
			expect(statistics!.words).to.equal(200);
			expect(statistics!.sentences).to.be.within(4, 8);
			expect(summary!.split(" ").length).to.be.lessThan(60);
		});

		it("analyses a text of 60,000 words completely", async () => {
			const input = longText(60_000);
			const data = await analyze(everything, input, { sentences: 4 }, "What about storage capacity?");
			expect(data.statistics!.words).to.be.within(60_000, 60_100);
			expect(sentenceCount(data.summary!)).to.equal(4);
			expect(data.keywords).to.have.length(8);
			expect(data.answer).to.include("storage capacity");
		});
	});
});
