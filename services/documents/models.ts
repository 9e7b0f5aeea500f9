import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from "sequelize";
import { jobModelAttributes, type JobAttributes } from "../../shared/jobs/index.ts";

/** A document, which is also its own extraction job (shared/jobs columns). */
export class DocumentRecord extends Model<InferAttributes<DocumentRecord>, InferCreationAttributes<DocumentRecord>> implements JobAttributes {
	declare id: string;
	declare userId: string;
	declare filename: string;
	declare mimeType: string;
	declare charset: string | null;
	declare size: number;
	declare sha256: string;
	declare analyze: boolean;
	declare status: JobAttributes["status"];
	declare attempts: CreationOptional<number>;
	declare runAfter: Date;
	declare leaseOwner: CreationOptional<string | null>;
	declare leaseExpiresAt: CreationOptional<Date | null>;
	declare lastError: CreationOptional<string | null>;
	declare progress: CreationOptional<JobAttributes["progress"]>;
	declare startedAt: CreationOptional<Date | null>;
	declare finishedAt: CreationOptional<Date | null>;
	declare createdAt: CreationOptional<Date>;
	declare updatedAt: CreationOptional<Date>;
}

export class DocumentTextRecord extends Model<InferAttributes<DocumentTextRecord>, InferCreationAttributes<DocumentTextRecord>> {
	declare documentId: string;
	declare text: string;
	declare chunks: string;
	declare stats: string;
	declare createdAt: CreationOptional<Date>;
}

export interface DocumentModels {
	Document: typeof DocumentRecord;
	DocumentText: typeof DocumentTextRecord;
}

/** The documents service's models, defined on the process's shared Sequelize instance. */
export function defineModels(sequelize: Sequelize): DocumentModels {
	// Each class is initialised once per Sequelize instance; a second broker in the same process
	// (tests) brings its own instance, so bind subclasses rather than the shared classes.
	class Document extends DocumentRecord {}
	Document.init(
		{
			id: { type: DataTypes.UUID, primaryKey: true },
			userId: { type: DataTypes.STRING(64), allowNull: false },
			filename: { type: DataTypes.STRING(255), allowNull: false },
			mimeType: { type: DataTypes.STRING(128), allowNull: false },
			charset: { type: DataTypes.STRING(32), allowNull: true },
			// BIGINT comes back from PostgreSQL as a string; sizes stay far below 2^53.
			size: { type: DataTypes.BIGINT, allowNull: false, get(this: DocumentRecord) { return Number(this.getDataValue("size")); } },
			sha256: { type: DataTypes.STRING(64), allowNull: false },
			analyze: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
			...jobModelAttributes(),
			createdAt: DataTypes.DATE,
			updatedAt: DataTypes.DATE,
		},
		{ sequelize, tableName: "documents", modelName: "Document" }
	);

	class DocumentText extends DocumentTextRecord {}
	DocumentText.init(
		{
			documentId: { type: DataTypes.UUID, primaryKey: true },
			text: { type: DataTypes.TEXT, allowNull: false },
			chunks: { type: DataTypes.TEXT, allowNull: false },
			stats: { type: DataTypes.TEXT, allowNull: false },
			createdAt: DataTypes.DATE,
		},
		{ sequelize, tableName: "document_texts", modelName: "DocumentText", updatedAt: false }
	);

	return { Document, DocumentText };
}
