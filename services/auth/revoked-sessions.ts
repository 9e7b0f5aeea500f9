import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import type { SessionDenylist, Revocation } from "./session-denylist.ts";

/** How far back a catch-up reads again, for clocks that differ between nodes and commits that land late. */
const CATCH_UP_OVERLAP_MS = 60_000;
/** Rows per query and per Redis pipeline when the whole table is read. */
const PAGE = 1000;

interface RevocationRow {
	session_id: string;
	expires_at: string | number;
}

function toRevocation(row: RevocationRow): Revocation {
	return { sessionId: row.session_id, expiresAt: Number(row.expires_at) };
}

/**
 * Sign-outs, written durably first (auth_session_revocations, in the caller's transaction), then
 * spread to the fast denylist: this node's memory, Redis, and other auth nodes (the caller tells
 * them). The denylist is refilled from the database at start and after Redis reconnects, and
 * catches up on rows other nodes wrote, so a restart, an outage or an eviction never brings a
 * signed-out token back. Checking a token asks the database only when the denylist cannot tell.
 */
export class RevokedSessions {
	readonly #sequelize: Sequelize;
	readonly #denylist: SessionDenylist;
	#caughtUpTo = 0;
	#refilling?: Promise<void>;

	constructor(sequelize: Sequelize, denylist: SessionDenylist) {
		this.#sequelize = sequelize;
		this.#denylist = denylist;
	}

	/** Records sign-outs durably; throws if the database does not take them. Call `spread` once committed. */
	async record(revocations: Revocation[], transaction?: Transaction): Promise<void> {
		const now = Date.now();
		for (const { sessionId, expiresAt } of revocations) {
			await this.#sequelize.query(
				`INSERT INTO auth_session_revocations (session_id, revoked_at, expires_at) VALUES (:sessionId, :now, :expiresAt)
				 ON CONFLICT (session_id) DO UPDATE SET revoked_at = excluded.revoked_at,
				   expires_at = CASE WHEN excluded.expires_at > auth_session_revocations.expires_at THEN excluded.expires_at ELSE auth_session_revocations.expires_at END`,
				{ replacements: { sessionId, now, expiresAt }, transaction }
			);
		}
	}

	/**
	 * Makes recorded sign-outs effective on this node at once, and copies them to Redis without
	 * waiting: the copy only serves lookups past memory's size, and a hanging Redis must not hold up
	 * the sign-out.
	 */
	spread(revocations: Revocation[]): void {
		this.#denylist.remember(revocations);
		void this.#denylist.share(revocations);
	}

	/** Revocations another node announced. */
	heard(revocations: Revocation[]): void {
		this.#denylist.remember(revocations);
	}

	async isRevoked(sessionId: string): Promise<boolean> {
		const cached = await this.#denylist.has(sessionId);
		if (cached !== undefined) return cached;
		// More sign-outs than memory holds: the database decides for the ones it could not keep.
		const [row] = await this.#sequelize.query<RevocationRow>("SELECT session_id, expires_at FROM auth_session_revocations WHERE session_id = :sessionId", {
			replacements: { sessionId },
			type: QueryTypes.SELECT,
		});
		return row !== undefined && Number(row.expires_at) > Date.now();
	}

	/** Fills this node's memory with every revocation still in force (at start). */
	async load(): Promise<number> {
		this.#caughtUpTo = Date.now();
		let loaded = 0;
		await this.#eachLive(rows => {
			this.#denylist.remember(rows);
			loaded += rows.length;
		});
		return loaded;
	}

	/**
	 * Copies every revocation still in force to Redis (at start and after each reconnect, since Redis
	 * may have come back empty). One at a time: a flapping connection does not stack up refills.
	 */
	refillRedis(): Promise<void> {
		this.#refilling ??= this.#eachLive(rows => this.#denylist.share(rows)).finally(() => (this.#refilling = undefined));
		return this.#refilling;
	}

	/** Reads the revocations written since the last look, in case another node's notice never arrived. */
	async catchUp(): Promise<void> {
		const since = this.#caughtUpTo - CATCH_UP_OVERLAP_MS;
		const started = Date.now();
		const rows = await this.#sequelize.query<RevocationRow>("SELECT session_id, expires_at FROM auth_session_revocations WHERE revoked_at >= :since AND expires_at > :now", {
			replacements: { since, now: started },
			type: QueryTypes.SELECT,
		});
		this.#denylist.remember(rows.map(toRevocation));
		this.#denylist.sweep();
		this.#caughtUpTo = started;
	}

	/** Forgets rows whose tokens have all expired. */
	async purgeExpired(): Promise<void> {
		await this.#sequelize.query("DELETE FROM auth_session_revocations WHERE expires_at <= :now", { replacements: { now: Date.now() } });
	}

	async #eachLive(handle: (rows: Revocation[]) => void | Promise<void>): Promise<void> {
		const now = Date.now();
		// Keyset pages in UUID order, from the smallest UUID (a bare '' is no UUID to PostgreSQL).
		for (let after = "00000000-0000-0000-0000-000000000000"; ; ) {
			const rows = await this.#sequelize.query<RevocationRow>(
				"SELECT session_id, expires_at FROM auth_session_revocations WHERE expires_at > :now AND session_id > :after ORDER BY session_id LIMIT :limit",
				{ replacements: { now, after, limit: PAGE }, type: QueryTypes.SELECT }
			);
			if (rows.length === 0) return;
			await handle(rows.map(toRevocation));
			if (rows.length < PAGE) return;
			after = rows[rows.length - 1].session_id;
		}
	}
}
