import type { ServiceSchema, Service } from "moleculer";
import type { Sequelize } from "sequelize";
import { platformConfig } from "../platform.ts";
import { acquireDatabase, releaseDatabase } from "./database.ts";
import { runMigrations, type Migration } from "./migrations.ts";

export interface DbMixinOptions<TModels> {
	/** Names the service's migration history table, `<name>_migrations`. */
	name: string;
	migrations: Migration[];
	/** Defines the service's models on the shared Sequelize instance. */
	models: (sequelize: Sequelize) => TModels;
}

export interface DbServiceThis<TModels> extends Service {
	sequelize: Sequelize;
	models: TModels;
}

/**
 * Gives a service its tables: acquires the process's shared database, runs the service's own
 * migrations before the service accepts calls, defines its models, and releases it on stop.
 */
export function createDbMixin<TModels>(options: DbMixinOptions<TModels>): Partial<ServiceSchema> {
	return {
		async started() {
			this.sequelize = await acquireDatabase(platformConfig(this.broker));
			const applied = await runMigrations(this.sequelize, options.name, options.migrations);
			if (applied.length > 0) this.logger.info(`Applied migrations: ${applied.join(", ")}`);
			this.models = options.models(this.sequelize);
		},
		async stopped() {
			if (this.sequelize) await releaseDatabase(this.sequelize);
		},
		methods: {
			/** Health of the database as this service sees it; used by /health/ready. */
			async checkDatabase(): Promise<boolean> {
				try {
					await this.sequelize.query("SELECT 1");
					return true;
				} catch {
					return false;
				}
			},
		},
	};
}
