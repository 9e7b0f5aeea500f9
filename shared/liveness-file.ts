import fs from "node:fs";

/** How often the file is touched; a container health check calls it stale after a few missed beats. */
export const LIVENESS_BEAT_MS = 5_000;

/**
 * Keeps `file`'s modification time fresh while the broker runs, and removes it when it stops. A
 * container health check then needs no port (workers run with PORT=0) and spawns no second
 * Node process (about 40 MB on a 512 MB instance, every 10 s): `find FILE -newermt '30 seconds
 * ago'` fails once the event loop stalls or the broker is gone. Returns the stop function.
 */
export function keepLivenessFile(file: string): () => void {
	const touch = () => {
		try {
			fs.writeFileSync(file, `${process.pid} ${new Date().toISOString()}\n`);
		} catch {
			// A read-only or full disk makes the check fail, which is the truth about this node.
		}
	};
	touch();
	const timer = setInterval(touch, LIVENESS_BEAT_MS);
	timer.unref();
	return () => {
		clearInterval(timer);
		fs.rmSync(file, { force: true });
	};
}
