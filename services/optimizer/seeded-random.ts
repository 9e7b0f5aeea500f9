import { createHash } from "node:crypto";

/** A reproducible source of randomness: the same seed parts always give the same sequence. */
export interface Random {
	/** Uniform in [0, 1). */
	next(): number;
	/** Uniform integer in [min, max]. */
	int(min: number, max: number): number;
	pick<T>(items: readonly T[]): T;
	/** Standard normal (Box-Muller). */
	normal(): number;
	shuffle<T>(items: T[]): T[];
}

/**
 * sfc32 seeded from a SHA-256 of the seed parts. Samplers derive one stream per trial number from
 * (study seed, sampler, trial number), so a study resumed after a crash suggests exactly what the
 * uninterrupted run would have.
 */
export function seededRandom(...parts: (string | number)[]): Random {
	const digest = createHash("sha256").update(parts.join("\u0000")).digest();
	let a = digest.readUInt32LE(0);
	let b = digest.readUInt32LE(4);
	let c = digest.readUInt32LE(8);
	let d = digest.readUInt32LE(12);
	const next = (): number => {
		a >>>= 0;
		b >>>= 0;
		c >>>= 0;
		d >>>= 0;
		let t = (a + b) | 0;
		a = b ^ (b >>> 9);
		b = (c + (c << 3)) | 0;
		c = (c << 21) | (c >>> 11);
		d = (d + 1) | 0;
		t = (t + d) | 0;
		c = (c + t) | 0;
		return (t >>> 0) / 4294967296;
	};
	// The first outputs of a freshly seeded sfc32 are weakly mixed.
	for (let i = 0; i < 12; i++) next();
	const random: Random = {
		next,
		int: (min, max) => min + Math.floor(next() * (max - min + 1)),
		pick: items => items[Math.floor(next() * items.length)],
		normal: () => {
			const u = 1 - next();
			const v = next();
			return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
		},
		shuffle: items => {
			for (let i = items.length - 1; i > 0; i--) {
				const j = Math.floor(next() * (i + 1));
				[items[i], items[j]] = [items[j], items[i]];
			}
			return items;
		},
	};
	return random;
}
