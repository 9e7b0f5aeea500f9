import type { ServiceSchema } from "moleculer";
import { createDbMixin } from "../../shared/db/db.mixin.ts";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { migrations } from "./migrations/index.ts";
import { defineModels } from "./models.ts";

const LlmService: ServiceSchema = {
	name: "llm",
	mixins: [createDbMixin({ name: "llm", migrations, models: defineModels }), createHealthMixin()],
};

export default LlmService;
