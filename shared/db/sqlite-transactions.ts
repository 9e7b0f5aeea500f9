import type { Sequelize, Transaction, TransactionOptions } from "sequelize";

type TransactionCallback<T> = (t: Transaction) => PromiseLike<T>;

/**
 * SQLite has one writer. Sequelize gives every transaction its own connection, and node-sqlite3
 * runs statements on libuv's four pool threads: transactions waiting on a busy lock would occupy
 * those threads while the lock holder's COMMIT waits for one (a stall until the busy timeout).
 * So in embedded mode transactions take turns in-process; nested ones (savepoints) pass through.
 * A turn ends when the COMMIT is done, before the transaction's afterCommit hooks run, since those
 * may start transactions of their own.
 */
export function serializeTransactions(sequelize: Sequelize): void {
	const original = sequelize.transaction.bind(sequelize) as (options?: TransactionOptions, callback?: TransactionCallback<unknown>) => Promise<unknown>;
	let tail: Promise<void> = Promise.resolve();

	const acquire = async (): Promise<() => void> => {
		let release!: () => void;
		const turn = new Promise<void>(resolve => (release = resolve));
		const previous = tail;
		tail = previous.then(() => turn);
		await previous;
		let released = false;
		return () => {
			if (!released) {
				released = true;
				release();
			}
		};
	};

	const serialized = async (optionsOrCallback?: TransactionOptions | TransactionCallback<unknown>, maybeCallback?: TransactionCallback<unknown>) => {
		const callback = typeof optionsOrCallback === "function" ? optionsOrCallback : maybeCallback;
		const options = typeof optionsOrCallback === "function" ? {} : (optionsOrCallback ?? {});
		if (options.transaction) return original(options, callback);
		const release = await acquire();
		if (callback) {
			try {
				return await original(options, transaction => {
					transaction.afterCommit(release);
					return callback(transaction);
				});
			} finally {
				release();
			}
		}
		try {
			const transaction = (await original(options)) as Transaction;
			transaction.afterCommit(release);
			const commit = transaction.commit.bind(transaction);
			const rollback = transaction.rollback.bind(transaction);
			transaction.commit = async () => {
				try {
					return await commit();
				} finally {
					release();
				}
			};
			transaction.rollback = async () => {
				try {
					return await rollback();
				} finally {
					release();
				}
			};
			return transaction;
		} catch (err) {
			release();
			throw err;
		}
	};
	sequelize.transaction = serialized as Sequelize["transaction"];
}
