import { DataTypes, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Model, type ModelAttributes, type Sequelize } from "sequelize";

export type Role = "user" | "admin";

export interface UserRow extends Model<InferAttributes<UserRow>, InferCreationAttributes<UserRow>> {
	id: string;
	email: string;
	name: string | null;
	passwordHash: string;
	role: Role;
	createdAt: CreationOptional<Date>;
	updatedAt: CreationOptional<Date>;
}

/** One sign-in: the family every refresh token issued from it belongs to. */
export interface SessionRow extends Model<InferAttributes<SessionRow>, InferCreationAttributes<SessionRow>> {
	id: string;
	userId: string;
	revokedAt: Date | null;
	ip: string | null;
	userAgent: string | null;
	/** The last sign-in or refresh; the session's refresh token expires 30 days after it. */
	lastUsedAt: Date | null;
	createdAt: CreationOptional<Date>;
	updatedAt: CreationOptional<Date>;
}

export interface RefreshTokenRow extends Model<InferAttributes<RefreshTokenRow>, InferCreationAttributes<RefreshTokenRow>> {
	id: string;
	sessionId: string;
	tokenHash: string;
	expiresAt: Date;
	usedAt: Date | null;
	createdAt: CreationOptional<Date>;
	updatedAt: CreationOptional<Date>;
}

export interface ApiKeyRow extends Model<InferAttributes<ApiKeyRow>, InferCreationAttributes<ApiKeyRow>> {
	id: string;
	userId: string;
	name: string;
	prefix: string;
	keyHash: string;
	lastUsedAt: Date | null;
	revokedAt: Date | null;
	createdAt: CreationOptional<Date>;
	updatedAt: CreationOptional<Date>;
}

/** Every auth table has a UUID key and Sequelize's timestamps. */
function defineTable<M extends Model>(sequelize: Sequelize, modelName: string, tableName: string, attributes: ModelAttributes<M>) {
	return sequelize.define<M>(
		modelName,
		{ id: { type: DataTypes.UUID, primaryKey: true }, ...attributes, createdAt: DataTypes.DATE, updatedAt: DataTypes.DATE } as ModelAttributes<M>,
		{ tableName }
	);
}

/** The auth service's models, defined on the process's shared Sequelize instance. */
export function defineModels(sequelize: Sequelize) {
	return {
		User: defineTable<UserRow>(sequelize, "AuthUser", "auth_users", {
			email: DataTypes.STRING,
			name: DataTypes.STRING,
			passwordHash: DataTypes.STRING,
			role: DataTypes.STRING,
		}),
		Session: defineTable<SessionRow>(sequelize, "AuthSession", "auth_sessions", {
			userId: DataTypes.UUID,
			revokedAt: DataTypes.DATE,
			ip: DataTypes.STRING,
			userAgent: DataTypes.STRING,
			lastUsedAt: DataTypes.DATE,
		}),
		RefreshToken: defineTable<RefreshTokenRow>(sequelize, "AuthRefreshToken", "auth_refresh_tokens", {
			sessionId: DataTypes.UUID,
			tokenHash: DataTypes.STRING,
			expiresAt: DataTypes.DATE,
			usedAt: DataTypes.DATE,
		}),
		ApiKey: defineTable<ApiKeyRow>(sequelize, "AuthApiKey", "auth_api_keys", {
			userId: DataTypes.UUID,
			name: DataTypes.STRING,
			prefix: DataTypes.STRING,
			keyHash: DataTypes.STRING,
			lastUsedAt: DataTypes.DATE,
			revokedAt: DataTypes.DATE,
		}),
	};
}

export type AuthModels = ReturnType<typeof defineModels>;
