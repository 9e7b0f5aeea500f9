import type { Sequelize } from "sequelize";

/** The auth service's models, defined on the process's shared Sequelize instance. */
export function defineModels(_sequelize: Sequelize) {
	return {};
}
