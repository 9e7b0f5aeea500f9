/**
 * The entry of an extraction process (forked by extraction-sandbox.ts): extracts one document per
 * message, one at a time, and answers with the outcome. It runs under its own V8 heap limit and
 * its parent's watchdog on all of its memory, so a hostile file can take down only this process.
 * It ends when its parent disconnects (idle, shut down, or gone).
 */
import extract, { type ExtractionOutcome, type ExtractionTask } from "./extract-document.ts";

export interface ExtractionRequest {
	task: ExtractionTask;
}

export type ExtractionReply = { outcome: ExtractionOutcome } | { failure: string };

process.on("message", (request: ExtractionRequest) => {
	extract(request.task).then(
		outcome => process.send!({ outcome } satisfies ExtractionReply),
		(err: Error) => process.send!({ failure: `${err.name}: ${err.message}` } satisfies ExtractionReply)
	);
});
process.on("disconnect", () => process.exit(0));
