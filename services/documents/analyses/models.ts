import { DataTypes, type Model, type Sequelize } from "sequelize";
import type { Usage } from "../../../shared/contracts/llm.ts";
import { jobModelAttributes, jobWaitModelAttributes, type JobAttributes } from "../../../shared/jobs/index.ts";
import type { AnalysisOptions, Consensus, ProviderAnalysis } from "./types.ts";

export interface AnalysisRow extends Model, JobAttributes {
	id: string;
	userId: string;
	documentId: string;
	options: AnalysisOptions;
	optionsKey: string;
	results: ProviderAnalysis[] | null;
	consensus: Consensus | null;
	usage: Usage | null;
	costUsd: number;
	cached: boolean;
	createdAt: Date;
	updatedAt: Date;
}

/** The analyses service's model, defined on the process's shared Sequelize instance. */
export function defineAnalysisModels(sequelize: Sequelize) {
	const Analysis = sequelize.define<AnalysisRow>(
		"Analysis",
		{
			id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
			userId: { type: DataTypes.STRING(64), allowNull: false },
			documentId: { type: DataTypes.STRING(64), allowNull: false },
			options: { type: DataTypes.JSON, allowNull: false },
			optionsKey: { type: DataTypes.STRING(64), allowNull: false },
			results: { type: DataTypes.JSON, allowNull: true },
			consensus: { type: DataTypes.JSON, allowNull: true },
			usage: { type: DataTypes.JSON, allowNull: true },
			costUsd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			cached: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
			...jobModelAttributes(),
			...jobWaitModelAttributes(),
		},
		{ tableName: "analyses" }
	);
	return { Analysis };
}

export type AnalysisModels = ReturnType<typeof defineAnalysisModels>;
