import type { AnalysisData, AnalysisTask, AnalysisTaskType } from "../../../shared/contracts/llm.ts";

/**
 * The human-readable `output` of an analysis result: the summary when one was asked for, the bare
 * answer to a lone question, otherwise one short line (or list) per requested analysis.
 */

const MAX_LISTED_ENTITIES = 20;

const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

const RENDER: Record<AnalysisTaskType, (data: AnalysisData) => string | undefined> = {
	summary: data => data.summary || undefined,
	key_points: data => (data.key_points?.length ? `Key points:\n${data.key_points.map(point => `- ${point}`).join("\n")}` : undefined),
	keywords: data => (data.keywords?.length ? `Keywords: ${data.keywords.join(", ")}` : undefined),
	entities: data => {
		if (!data.entities?.length) return undefined;
		const listed = data.entities.slice(0, MAX_LISTED_ENTITIES).map(entity => `${entity.text} (${entity.type})`);
		const more = data.entities.length > MAX_LISTED_ENTITIES ? `, and ${data.entities.length - MAX_LISTED_ENTITIES} more` : "";
		return `Entities: ${listed.join(", ")}${more}`;
	},
	sentiment: data => (data.sentiment ? `Sentiment: ${data.sentiment.label} (${data.sentiment.score})` : undefined),
	topics: data => (data.topics?.length ? `Topics: ${data.topics.join(", ")}` : undefined),
	language: data => (data.language ? `Language: ${data.language}` : undefined),
	readability: data =>
		data.readability ? `Readability: Flesch reading ease ${data.readability.fleschReadingEase}, grade level ${data.readability.gradeLevel}` : undefined,
	statistics: data => {
		const s = data.statistics;
		return s ? `Statistics: ${counted(s.characters, "character")}, ${counted(s.words, "word")}, ${counted(s.sentences, "sentence")}, ${counted(s.paragraphs, "paragraph")}` : undefined;
	},
	question: data => (data.answer ? `Answer: ${data.answer}` : undefined),
};

export function taskOutputText(task: AnalysisTask, data: AnalysisData): string {
	if (task.types.includes("summary") && data.summary) return data.summary;
	if (task.types.length === 1 && task.types[0] === "question") return data.answer ?? "";
	return [...new Set(task.types)]
		.map(type => RENDER[type]?.(data))
		.filter((line): line is string => Boolean(line))
		.join("\n");
}
