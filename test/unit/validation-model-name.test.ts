import { expect } from "chai";
import { Validators } from "moleculer";
import { loadConfig, ConfigError } from "../../shared/config.ts";
import { createBrokerOptions } from "../../shared/broker-options.ts";
import { MODEL_NAME_PATTERN, modelNameProblem, MAX_MODEL_NAME_LENGTH } from "../../shared/validation/model-name.ts";
import { completeParamsSchema } from "../../services/llm/complete-params.ts";
import { createParams } from "../../services/documents/analyses/params.ts";

const validator = () => Validators.resolve(createBrokerOptions(loadConfig({})).validator as never) as InstanceType<typeof Validators.Fastest>;
const fieldsOf = (answer: unknown) => (answer === true ? [] : (answer as { field: string }[]).map(p => p.field));

describe("validation: model names", () => {
	it("accepts the names providers use", () => {
		for (const name of ["openai", "fast", "openai:gpt-4o-mini", "gemini:models/gemini-2.5-pro", "ollama:llama3.2:1b", "openai-compatible:meta-llama/Llama-3.1-8B-Instruct", "anthropic:claude-3-5-haiku-latest", "gemini:a..b"]) {
			expect(modelNameProblem(name), name).to.equal(undefined);
		}
	});

	it("refuses other characters, '.' and '..' segments and overlong names", () => {
		for (const name of ["gemini:%2e%2e/%2e%2e/v1beta/tunedModels/x", "gemini:../../x", "gemini:models/../x", "gemini:a/..", "openai:./x", "..", "a b", "a\\b", "a?b", "a#b", "ü"]) {
			expect(modelNameProblem(name), name).to.match(/is not a model name/);
		}
		expect(modelNameProblem("a".repeat(MAX_MODEL_NAME_LENGTH + 1))).to.match(/longer than/);
	});

	it("takes linear time on a long hostile name", () => {
		const started = performance.now();
		for (const hostile of ["a/".repeat(100_000) + "%", "a.".repeat(100_000) + "%", ":".repeat(200_000) + "%"]) expect(MODEL_NAME_PATTERN.test(hostile)).to.equal(false);
		expect(performance.now() - started).to.be.below(2_000);
	});

	it("is the rule of llm.complete's model and providers and of an analysis's providers, naming the field", () => {
		const complete = validator().compile(completeParamsSchema);
		expect(fieldsOf(complete({ prompt: "x", model: "gemini:../x", providers: ["local", "gemini:%2e%2e"] }))).to.deep.equal(["providers[1]", "model"]);
		expect(complete({ prompt: "x", model: "gemini:gemini-2.0-flash", providers: ["local"] })).to.equal(true);
		const analysis = validator().compile(createParams);
		expect(fieldsOf(analysis({ id: "d", providers: ["openai:../../v1/files"] }))).to.deep.equal(["providers[0]"]);
	});

	it("refuses an LLM_ALIASES entry that is not a model name, at start", () => {
		expect(() => loadConfig({ LLM_ALIASES: JSON.stringify({ mine: { providers: ["gemini:../../v1beta/tunedModels/x"] } }) })).to.throw(ConfigError, /LLM_ALIASES/);
		expect(() => loadConfig({ LLM_ALIASES: JSON.stringify({ "my alias": { providers: ["gemini"] } }) })).to.throw(ConfigError, /LLM_ALIASES/);
		expect(loadConfig({ LLM_ALIASES: JSON.stringify({ mine: { providers: ["gemini:models/gemini-2.5-pro"] } }) }).llm.aliases.mine.providers).to.deep.equal(["gemini:models/gemini-2.5-pro"]);
	});
});
