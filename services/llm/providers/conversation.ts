import type { ChatMessage } from "../../../shared/contracts/llm.ts";
import type { ProviderRequest } from "./provider.ts";

const JSON_INSTRUCTION = "Answer with one JSON object and nothing else.";

/**
 * The request's system text: its `system` plus any system-role messages, and the JSON instruction
 * when JSON is wanted (OpenAI's JSON mode refuses a prompt that never mentions JSON; Anthropic has no
 * JSON mode at all).
 */
export function systemText(request: ProviderRequest): string | undefined {
	const parts = [request.system, ...request.messages.filter(m => m.role === "system").map(m => m.content)].filter((p): p is string => Boolean(p));
	if (request.json && !parts.some(p => /json/i.test(p))) parts.push(JSON_INSTRUCTION);
	return parts.length > 0 ? parts.join("\n\n") : undefined;
}

/** The user/assistant turns, in order, with consecutive turns of one role merged (Anthropic and Gemini require alternation). */
export function turns(request: ProviderRequest): { role: "user" | "assistant"; content: string }[] {
	const result: { role: "user" | "assistant"; content: string }[] = [];
	for (const message of request.messages as ChatMessage[]) {
		if (message.role === "system") continue;
		const last = result.at(-1);
		if (last?.role === message.role) last.content += `\n\n${message.content}`;
		else result.push({ role: message.role, content: message.content });
	}
	return result;
}
