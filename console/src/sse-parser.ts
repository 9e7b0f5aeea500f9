/** One server-sent event, as the EventSource specification dispatches it. */
export interface ServerSentEvent {
	/** The `event:` field; "message" when the server named none. */
	event: string;
	data: string;
	id?: string;
}

/**
 * Incremental parser of a text/event-stream body. The console reads event streams with fetch()
 * because EventSource cannot send the Authorization header; this is the parsing EventSource would do.
 */
export class SseParser {
	#buffer = "";
	#data: string[] = [];
	#event = "";
	#id: string | undefined;

	/** Feeds decoded text; returns the events completed by it. */
	push(text: string): ServerSentEvent[] {
		this.#buffer += text;
		const events: ServerSentEvent[] = [];
		for (;;) {
			const end = this.#buffer.search(/[\r\n]/);
			if (end === -1) break;
			// A CR at the very end may be the first half of CRLF: wait for the next chunk to know.
			if (this.#buffer[end] === "\r" && end === this.#buffer.length - 1) break;
			const line = this.#buffer.slice(0, end);
			const skip = this.#buffer.startsWith("\r\n", end) ? 2 : 1;
			this.#buffer = this.#buffer.slice(end + skip);
			const event = this.#line(line);
			if (event) events.push(event);
		}
		return events;
	}

	#line(line: string): ServerSentEvent | undefined {
		if (line === "") return this.#dispatch();
		if (line.startsWith(":")) return undefined;
		const colon = line.indexOf(":");
		const field = colon === -1 ? line : line.slice(0, colon);
		let value = colon === -1 ? "" : line.slice(colon + 1);
		if (value.startsWith(" ")) value = value.slice(1);
		if (field === "data") this.#data.push(value);
		else if (field === "event") this.#event = value;
		else if (field === "id" && !value.includes("\0")) this.#id = value;
		return undefined;
	}

	#dispatch(): ServerSentEvent | undefined {
		const hadData = this.#data.length > 0;
		const event: ServerSentEvent = { event: this.#event || "message", data: this.#data.join("\n"), ...(this.#id !== undefined ? { id: this.#id } : {}) };
		this.#data = [];
		this.#event = "";
		return hadData ? event : undefined;
	}
}
