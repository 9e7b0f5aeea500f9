/**
 * Analysis tasks for chat models: the prompt that asks for one JSON object, the parser and schema
 * check of the answer, the repair request after an invalid answer, and the readable output text.
 */
export { ANALYSIS_DATA_SCHEMA, TASK_FIELDS, taskJsonSchema, type JsonSchema } from "./schema.ts";
export { PROMPT_VARIANTS, buildRepairRequest, buildTaskRequest, type PromptVariant, type TaskRequest } from "./prompts.ts";
export { parseTaskOutput, type ParseResult } from "./parse.ts";
export { taskOutputText } from "./output-text.ts";
