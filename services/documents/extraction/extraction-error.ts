/**
 * A problem with the document itself (damaged, protected, too large to extract). Its message is
 * written for the uploader and becomes the document's `error`; any other error is a bug and is
 * reported generically.
 */
export class ExtractionError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ExtractionError";
	}
}
