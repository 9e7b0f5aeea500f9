/**
 * An upload over a bare TCP socket, for the cases no HTTP client lets a test make on purpose: a
 * body that breaks off mid-file (a TCP reset or a plain close) or stops arriving. The request
 * declares the whole file's length, sends the multipart head and `sentBytes` of the file, then
 * does whatever the test asks.
 */
import net from "node:net";

export interface RawResponse {
	status: number;
	headers: string;
	body: string;
}

export interface RawUpload {
	/** Sends `bytes` more of the file. */
	send(bytes: number): void;
	/** Sends the rest of the file and the multipart end: a complete request. */
	finish(): void;
	/** Breaks the connection off with a TCP reset (RST), as a crashed client or a dropped link does. */
	reset(): void;
	/** Closes the connection (FIN) with the body unfinished. */
	close(): void;
	/** The server's answer, as soon as it has arrived whole (null: the connection ended without one). */
	response: Promise<RawResponse | null>;
}

/** The answer in `raw`, once its head and its Content-Length of body are there. */
function parseResponse(raw: string): RawResponse | null {
	const match = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(raw);
	if (!match) return null;
	const length = /^content-length:\s*(\d+)/im.exec(match[2]);
	if (length && Buffer.byteLength(match[3]) < Number(length[1])) return null;
	return { status: Number(match[1]), headers: match[2], body: match[3] };
}

/** Opens the connection and sends the request head, the multipart part head and `sentBytes` of a `fileBytes` file. */
export async function startRawUpload(baseUrl: string, token: string, options: { fileBytes: number; sentBytes: number; filename?: string }): Promise<RawUpload> {
	const { hostname, port } = new URL(baseUrl);
	const boundary = "----raw-upload-" + Math.random().toString(16).slice(2);
	const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${options.filename ?? "notes.txt"}"\r\nContent-Type: text/plain\r\n\r\n`;
	const partTail = `\r\n--${boundary}--\r\n`;
	const length = Buffer.byteLength(partHead) + options.fileBytes + Buffer.byteLength(partTail);
	const socket = net.connect({ host: hostname, port: Number(port) });
	await new Promise<void>((resolve, reject) => {
		socket.once("connect", resolve);
		socket.once("error", reject);
	});
	const chunks: Buffer[] = [];
	const response = new Promise<RawResponse | null>(resolve => {
		const received = () => parseResponse(Buffer.concat(chunks).toString("utf8"));
		socket.on("data", chunk => {
			chunks.push(chunk);
			const answer = received();
			if (answer) resolve(answer);
		});
		socket.once("close", () => resolve(received()));
	});
	// A reset reports ECONNRESET here; what the server said before is in `response`.
	socket.on("error", () => {});
	socket.write(
		`POST /api/v1/documents HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n` +
			`Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n${partHead}`
	);
	let sent = 0;
	const send = (bytes: number) => {
		if (bytes > 0 && !socket.destroyed) socket.write(Buffer.alloc(bytes, "a"));
		sent += bytes;
	};
	send(options.sentBytes);
	return {
		send,
		finish: () => {
			send(options.fileBytes - sent);
			socket.write(partTail);
		},
		reset: () => socket.resetAndDestroy(),
		close: () => socket.end(),
		response,
	};
}
