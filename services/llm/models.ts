import { DataTypes, type InferAttributes, type InferCreationAttributes, type Model, type ModelStatic, type Sequelize } from "sequelize";

/** One provider call, or one answer served from the store. */
export interface LlmCallRow extends Model<InferAttributes<LlmCallRow>, InferCreationAttributes<LlmCallRow>> {
	id: string;
	userId: string | null;
	provider: string;
	model: string;
	/** Hash of everything the answer depends on; what a stored answer is found by. */
	paramsHash: string;
	status: "ok" | "error" | "cached";
	errorType: string | null;
	inputTokens: number;
	outputTokens: number;
	costUsd: number;
	latencyMs: number;
	output: string | null;
	/** JSON of an analysis task's structured answer. */
	data: string | null;
	/** Why the provider stopped (stop, length, ...), for answers served again from the store. */
	finishReason: string | null;
	createdAt: Date;
}

/** The llm service's models, defined per Sequelize instance (tests run several brokers in one process). */
export function defineModels(sequelize: Sequelize) {
	const LlmCall = sequelize.define<LlmCallRow>(
		"LlmCall",
		{
			id: { type: DataTypes.STRING(36), primaryKey: true },
			userId: { type: DataTypes.STRING(64), allowNull: true },
			provider: { type: DataTypes.STRING(64), allowNull: false },
			model: { type: DataTypes.STRING(200), allowNull: false },
			paramsHash: { type: DataTypes.STRING(64), allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			errorType: { type: DataTypes.STRING(32), allowNull: true },
			inputTokens: { type: DataTypes.INTEGER, allowNull: false },
			outputTokens: { type: DataTypes.INTEGER, allowNull: false },
			costUsd: { type: DataTypes.DOUBLE, allowNull: false },
			latencyMs: { type: DataTypes.INTEGER, allowNull: false },
			output: { type: DataTypes.TEXT, allowNull: true },
			data: { type: DataTypes.TEXT, allowNull: true },
			finishReason: { type: DataTypes.STRING(32), allowNull: true },
			createdAt: { type: DataTypes.DATE, allowNull: false },
		},
		{ tableName: "llm_calls", updatedAt: false }
	);
	return { LlmCall: LlmCall as ModelStatic<LlmCallRow> };
}

export type LlmModels = ReturnType<typeof defineModels>;
