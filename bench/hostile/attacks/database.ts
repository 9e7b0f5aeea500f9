/**
 * The database under overload (issue 13 item 8): many requests at once that each need the database
 * queue for the process's connection(s) and are all answered, none with a connection error.
 */
import type { HostileAttack } from "../attack.ts";
import { registerUser } from "../../../test/helpers/users.ts";

const CONCURRENT = 300;

const attacks: HostileAttack[] = [
	{
		name: `${CONCURRENT} concurrent uncached database reads`,
		async setup(baseUrl) {
			return (await registerUser(baseUrl)).accessToken;
		},
		async run(baseUrl, token) {
			// Each a different page: none is answered from the cache, every one needs the database.
			const statuses = await Promise.all(
				Array.from({ length: CONCURRENT }, (_, i) =>
					fetch(`${baseUrl}/api/v1/documents?limit=${1 + (i % 100)}&offset=${Math.floor(i / 100)}`, { headers: { authorization: `Bearer ${token as string}` }, signal: AbortSignal.timeout(60_000) }).then(
						async res => (await res.arrayBuffer(), res.status),
						() => 0
					)
				)
			);
			const counts = new Map<number, number>();
			for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
			return [...counts].map(([status, n]) => `${n}/${CONCURRENT} ${status === 0 ? "no answer" : status}`).join(", ");
		},
	},
];

export default attacks;
