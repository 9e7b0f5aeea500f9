import type { ServiceSchema } from "moleculer";
import { createDbMixin } from "../../shared/db/db.mixin.ts";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { migrations } from "./migrations/index.ts";
import { defineModels } from "./models.ts";

const OptimizerService: ServiceSchema = {
	name: "optimizer",
	mixins: [createDbMixin({ name: "optimizer", migrations, models: defineModels }), createHealthMixin()],
};

export default OptimizerService;
