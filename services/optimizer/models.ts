import type { Sequelize } from "sequelize";

/** The optimizer service's models, defined on the process's shared Sequelize instance. */
export function defineModels(_sequelize: Sequelize) {
	return {};
}
