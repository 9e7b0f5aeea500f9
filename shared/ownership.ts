import type { Context } from "moleculer";
import type { Model, ModelStatic, WhereOptions } from "sequelize";
import type { AuthenticatedUser } from "./contracts/auth.ts";
import { notFound, unauthorized } from "./errors.ts";

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` is a UUID (any case), the shape of every id the platform hands out. */
const isUuid = (id: string): boolean => UUID_PATTERN.test(id);

/** The authenticated caller, or 401: every per-user action starts here. */
export function callerOf<User extends AuthenticatedUser>(ctx: Context<unknown, { user?: User | null }>): User {
	if (!ctx.meta.user) throw unauthorized();
	return ctx.meta.user;
}

/**
 * The caller's row with this id. Another user's row answers exactly like a malformed or unknown id
 * (404 "<what> not found"), so ids tell nobody what exists.
 */
export async function findOwned<Row extends Model>(model: ModelStatic<Row>, userId: string, id: string, what: string): Promise<Row> {
	const row = isUuid(id) ? await model.findOne({ where: { id: id.toLowerCase(), userId } as WhereOptions }) : null;
	if (!row) throw notFound(what);
	return row;
}
