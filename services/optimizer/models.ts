import { DataTypes, type Model, type Sequelize } from "sequelize";
import type { AuthenticatedUser } from "../../shared/contracts/auth.ts";
import { jobModelAttributes, jobWaitModelAttributes, type JobAttributes } from "../../shared/jobs/index.ts";
import type { Scores } from "./objectives.ts";
import type { Configuration } from "./search-space.ts";
import type { StudyDefinition } from "./study/definition.ts";
import type { StopReason } from "./budget.ts";

export interface StudyRow extends Model, JobAttributes {
	id: string;
	userId: string;
	owner: AuthenticatedUser;
	name: string;
	definition: StudyDefinition;
	spentUsd: number;
	calls: number;
	stopReason: StopReason | null;
	firstStartedAt: Date | null;
	createdAt: Date;
	updatedAt: Date;
}

/** running while it is evaluated; pruned by early stopping; stopped when a budget ran out during it. */
export type TrialStatus = "running" | "succeeded" | "pruned" | "failed" | "stopped";

export interface TrialRow extends Model {
	id: string;
	studyId: string;
	number: number;
	params: Configuration;
	status: TrialStatus;
	scores: Scores | null;
	exampleScores: Scores[] | null;
	costUsd: number;
	calls: number;
	cachedCalls: number;
	error: string | null;
	finishedAt: Date | null;
	createdAt: Date;
	updatedAt: Date;
}

export interface ResultRow extends Model {
	id: string;
	userId: string;
	cacheKey: string;
	output: string;
	costUsd: number;
	latencyMs: number;
	createdAt: Date;
	updatedAt: Date;
}

export interface ProfileRow extends Model {
	id: string;
	userId: string;
	name: string;
	providers: string[];
	strategy: string;
	params: Record<string, string | number>;
	studyId: string | null;
	scores: Scores | null;
	createdAt: Date;
	updatedAt: Date;
}

const id = { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 };

/** The optimizer service's models, defined on the process's shared Sequelize instance. */
export function defineModels(sequelize: Sequelize) {
	const Study = sequelize.define<StudyRow>(
		"OptimizerStudy",
		{
			id,
			userId: { type: DataTypes.STRING(64), allowNull: false },
			owner: { type: DataTypes.JSON, allowNull: false },
			name: { type: DataTypes.STRING(100), allowNull: false },
			definition: { type: DataTypes.JSON, allowNull: false },
			spentUsd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			calls: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			stopReason: { type: DataTypes.STRING(32), allowNull: true },
			firstStartedAt: { type: DataTypes.DATE, allowNull: true },
			...jobModelAttributes(),
			...jobWaitModelAttributes(),
		},
		{ tableName: "optimizer_studies" }
	);
	const Trial = sequelize.define<TrialRow>(
		"OptimizerTrial",
		{
			id,
			studyId: { type: DataTypes.UUID, allowNull: false },
			number: { type: DataTypes.INTEGER, allowNull: false },
			params: { type: DataTypes.JSON, allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			scores: { type: DataTypes.JSON, allowNull: true },
			exampleScores: { type: DataTypes.JSON, allowNull: true },
			costUsd: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
			calls: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			cachedCalls: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			error: { type: DataTypes.TEXT, allowNull: true },
			finishedAt: { type: DataTypes.DATE, allowNull: true },
		},
		{ tableName: "optimizer_trials" }
	);
	const Result = sequelize.define<ResultRow>(
		"OptimizerResult",
		{
			id,
			userId: { type: DataTypes.STRING(64), allowNull: false },
			cacheKey: { type: DataTypes.STRING(64), allowNull: false },
			output: { type: DataTypes.TEXT, allowNull: false },
			costUsd: { type: DataTypes.DOUBLE, allowNull: false },
			latencyMs: { type: DataTypes.DOUBLE, allowNull: false },
		},
		{ tableName: "optimizer_results" }
	);
	const Profile = sequelize.define<ProfileRow>(
		"OptimizerProfile",
		{
			id,
			userId: { type: DataTypes.STRING(64), allowNull: false },
			name: { type: DataTypes.STRING(100), allowNull: false },
			providers: { type: DataTypes.JSON, allowNull: false },
			strategy: { type: DataTypes.STRING(32), allowNull: false },
			params: { type: DataTypes.JSON, allowNull: false },
			studyId: { type: DataTypes.UUID, allowNull: true },
			scores: { type: DataTypes.JSON, allowNull: true },
		},
		{ tableName: "optimizer_profiles" }
	);
	return { Study, Trial, Result, Profile };
}

export type OptimizerModels = ReturnType<typeof defineModels>;
