import type { ServiceSchema, Service } from "moleculer";

/**
 * `<service>.health`: called by the gateway's /health/ready. Internal (no REST route); answers
 * whether the service's database is usable from this node.
 */
export function createHealthMixin(): Partial<ServiceSchema> {
	return {
		actions: {
			health: {
				visibility: "public",
				async handler(this: Service & { checkDatabase?: () => Promise<boolean> }) {
					const database = this.checkDatabase ? await this.checkDatabase() : true;
					return { service: this.name, nodeID: this.broker.nodeID, database };
				},
			},
		},
	};
}
