/** The benchmarks' command-line options: `--name value`, flags, and repeatable `--env NAME=value`. */

const argv = process.argv.slice(2);

/** The value after `--name`, or undefined. */
export function textOption(name: string): string | undefined {
	const at = argv.indexOf(`--${name}`);
	return at >= 0 ? argv[at + 1] : undefined;
}

/** `--name <number>`, or `fallback` without it. */
export function numberOption(name: string, fallback: number): number {
	const text = textOption(name);
	return text === undefined ? fallback : Number(text);
}

/** Whether `--name` was given. */
export function flag(name: string): boolean {
	return argv.includes(`--${name}`);
}

/** Every value of a repeatable option, in order (`--fault redis --fault nats`). */
export function repeatedOption(name: string): string[] {
	return argv.flatMap((arg, i) => (arg === `--${name}` && i + 1 < argv.length ? [argv[i + 1]] : []));
}

/** `--env NAME=value` (repeatable): variables added to every platform process, to try a setting. */
export function envOptions(): Record<string, string> {
	return Object.fromEntries(repeatedOption("env").map(pair => pair.split(/=(.*)/s).slice(0, 2))) as Record<string, string>;
}
