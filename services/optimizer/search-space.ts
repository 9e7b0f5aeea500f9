import type { Random } from "./seeded-random.ts";

export type ParamValue = string | number;
/** One point of the search space: dimension name -> value. */
export type Configuration = Record<string, ParamValue>;

export interface CategoricalDimension {
	kind: "categorical";
	name: string;
	values: ParamValue[];
}

/** A numeric range, quantized to `step` so that configurations can be compared and cached. */
export interface NumericDimension {
	kind: "numeric";
	name: string;
	min: number;
	max: number;
	step: number;
	int: boolean;
}

export type Dimension = CategoricalDimension | NumericDimension;

/** Grid search visits every level of a short range and this many evenly spaced levels of a long one. */
const GRID_LEVELS = 5;
const GRID_ALL_LEVELS_UP_TO = 10;

function decimalsOf(step: number): number {
	const text = String(step);
	const exponent = /e-(\d+)$/.exec(text);
	if (exponent) return Number(exponent[1]);
	return text.includes(".") ? text.split(".")[1].length : 0;
}

/** How many quantized values a numeric dimension has. */
export function levelCount(dimension: NumericDimension): number {
	return Math.floor((dimension.max - dimension.min) / dimension.step + 1e-9) + 1;
}

export function levelValue(dimension: NumericDimension, level: number): number {
	const value = dimension.min + level * dimension.step;
	return Number(value.toFixed(decimalsOf(dimension.step)));
}

/** The nearest allowed value of a numeric dimension. */
export function snap(dimension: NumericDimension, value: number): number {
	const level = Math.round((value - dimension.min) / dimension.step);
	return levelValue(dimension, Math.min(levelCount(dimension) - 1, Math.max(0, level)));
}

/** A step that splits a float range into about a hundred levels, as a round number (0.01 for 0..1.5). */
export function defaultStep(min: number, max: number): number {
	const span = max - min;
	if (span <= 0) return 1;
	return 10 ** Math.floor(Math.log10(span / 100));
}

export function dimensionSize(dimension: Dimension): number {
	return dimension.kind === "categorical" ? dimension.values.length : levelCount(dimension);
}

/** Number of distinct configurations (Infinity-safe: capped at Number.MAX_SAFE_INTEGER). */
export function spaceSize(dimensions: Dimension[]): number {
	return dimensions.reduce((size, d) => Math.min(Number.MAX_SAFE_INTEGER, size * dimensionSize(d)), 1);
}

/** A configuration's identity: the same values give the same key whatever the key order. */
export function configurationKey(configuration: Configuration): string {
	return JSON.stringify(Object.keys(configuration).sort().map(name => [name, configuration[name]]));
}

export function randomConfiguration(dimensions: Dimension[], random: Random): Configuration {
	const configuration: Configuration = {};
	for (const dimension of dimensions) {
		configuration[dimension.name] =
			dimension.kind === "categorical" ? random.pick(dimension.values) : levelValue(dimension, random.int(0, levelCount(dimension) - 1));
	}
	return configuration;
}

/** The values grid search tries for one dimension. */
export function gridValues(dimension: Dimension): ParamValue[] {
	if (dimension.kind === "categorical") return dimension.values;
	const levels = levelCount(dimension);
	if (levels <= GRID_ALL_LEVELS_UP_TO) return Array.from({ length: levels }, (_, level) => levelValue(dimension, level));
	const values = Array.from({ length: GRID_LEVELS }, (_, i) => levelValue(dimension, Math.round((i * (levels - 1)) / (GRID_LEVELS - 1))));
	return [...new Set(values)];
}

export function gridSize(dimensions: Dimension[]): number {
	return dimensions.reduce((size, d) => Math.min(Number.MAX_SAFE_INTEGER, size * gridValues(d).length), 1);
}

/** The configuration at position `index` of the grid (mixed-radix counting over the dimensions). */
export function gridConfiguration(dimensions: Dimension[], index: number): Configuration {
	return configurationAt(dimensions, index, gridValues);
}

/** Every value a dimension allows, in order. */
export function allValues(dimension: Dimension): ParamValue[] {
	if (dimension.kind === "categorical") return dimension.values;
	return Array.from({ length: levelCount(dimension) }, (_, level) => levelValue(dimension, level));
}

/**
 * The first configuration not yet seen, scanning the whole space from a random position; for a
 * space so nearly exhausted that random draws keep hitting seen points. Undefined when none is left
 * or the space is too large to scan.
 */
export function unseenConfiguration(dimensions: Dimension[], seen: Set<string>, random: Random): Configuration | undefined {
	const size = spaceSize(dimensions);
	if (size > MAX_SCANNED_SPACE) return undefined;
	const start = random.int(0, size - 1);
	for (let offset = 0; offset < size; offset++) {
		const configuration = configurationAt(dimensions, (start + offset) % size, allValues);
		if (!seen.has(configurationKey(configuration))) return configuration;
	}
	return undefined;
}

const MAX_SCANNED_SPACE = 1_000_000;

function configurationAt(dimensions: Dimension[], index: number, valuesOf: (d: Dimension) => ParamValue[]): Configuration {
	const configuration: Configuration = {};
	let rest = index;
	for (const dimension of dimensions) {
		const values = valuesOf(dimension);
		configuration[dimension.name] = values[rest % values.length];
		rest = Math.floor(rest / values.length);
	}
	return configuration;
}
