import type { CompilationFunction, CompilationRule, Context } from "fastest-validator";

/** What fastest-validator's string rule emits once its value is final (trimmed, case-folded): the length every later check uses. */
const LENGTH_READ = "var len = value.length;";

interface RuleCompiler {
	rules: Record<string, CompilationFunction>;
	add(type: string, fn: CompilationFunction): void;
	makeError(error: { type: string; expected?: unknown; actual?: string; messages: Record<string, string> }): string;
}

/**
 * fastest-validator plugin: a string over its `max` (or `length`) is refused at once, before any
 * of the rule's other checks. The library runs `pattern` even after `max` has failed, so a 1 MB
 * value met a pattern sized for 254 characters (a backtracking e-mail pattern froze the process for
 * seconds). And a rule with a `pattern` must have a `max`, so no pattern ever runs over unbounded
 * input: without one the action's params fail to compile, at the service's start.
 *
 * Registered once, for every action of every service, through the broker's validator options.
 */
export function lengthBeforePattern(validator: unknown): void {
	const compiler = validator as RuleCompiler;
	const checkString = compiler.rules.string;
	compiler.add("string", function (this: RuleCompiler, rule: CompilationRule, path: string, context: Context) {
		const compiled = checkString.call(this, rule, path, context);
		const { max, length, pattern } = rule.schema as { max?: number; length?: number; pattern?: unknown };
		const limit = length ?? max;
		if (typeof limit !== "number") {
			if (pattern != null) throw new Error(`The string rule of \`${path ?? "a parameter"}\` has a pattern but no max length: give it a max, so the pattern never runs over unbounded input`);
			return compiled;
		}
		const at = compiled.source.indexOf(LENGTH_READ);
		if (at < 0) throw new Error("fastest-validator's string rule no longer reads `len`: shared/validation/length-before-pattern.ts needs updating");
		const error = this.makeError({ type: length != null ? "stringLength" : "stringMax", expected: limit, actual: "len", messages: rule.messages as Record<string, string> });
		const guard = `\n\t\t\tif (len > ${limit}) { ${error} return value; }`;
		const end = at + LENGTH_READ.length;
		return { ...compiled, source: compiled.source.slice(0, end) + guard + compiled.source.slice(end) };
	});
}
