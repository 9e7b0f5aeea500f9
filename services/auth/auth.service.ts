import type { ServiceSchema } from "moleculer";
import { createDbMixin } from "../../shared/db/db.mixin.ts";
import { createHealthMixin } from "../../shared/health.mixin.ts";
import { migrations } from "./migrations/index.ts";
import { defineModels } from "./models.ts";

const AuthService: ServiceSchema = {
	name: "auth",
	mixins: [createDbMixin({ name: "auth", migrations, models: defineModels }), createHealthMixin()],
};

export default AuthService;
