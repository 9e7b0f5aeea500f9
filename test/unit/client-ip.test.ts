import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage } from "node:http";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadConfig, ConfigError } from "../../shared/config.ts";
import { clientIp, compileTrust } from "../../services/api/client-ip.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** TRUST_PROXY exactly as a Render Blueprint sets it on its web service. */
function renderTrustProxy(file: string): string {
	const blueprint = parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
	const web = blueprint.services.find((s: { type: string }) => s.type === "web");
	return web.envVars.find((v: { key: string }) => v.key === "TRUST_PROXY").value;
}

/** What proxy-addr reads of a request: the socket's peer and the X-Forwarded-For header, as the gateway hands them over. */
function request(peer: string, forwardedFor: string | undefined, trustProxyEnv: string | undefined): IncomingMessage {
	const trustProxy = compileTrust(loadConfig({ TRUST_PROXY: trustProxyEnv }).trustProxy);
	return {
		socket: { remoteAddress: peer },
		headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
		$service: { settings: { trustProxy } },
	} as unknown as IncomingMessage;
}

// Render's chain: client -> Cloudflare edge (104.22.17.40) -> Render's proxy (10.21.157.68, private) -> us.
const RENDER_PROXY = "10.21.157.68";
const CLOUDFLARE_EDGE = "104.22.17.40";
const CLIENT = "99.61.165.29";

describe("client address (TRUST_PROXY, proxy-addr)", () => {
	for (const file of ["render.yaml", "render.split.yaml"]) {
		describe(`under ${file}'s setting`, () => {
			const setting = renderTrustProxy(file);

			it("takes the client from `client, <Cloudflare edge>` sent by Render's private proxy, not the edge shared by everyone behind it", () => {
				expect(clientIp(request(RENDER_PROXY, `${CLIENT}, ${CLOUDFLARE_EDGE}`, setting))).to.equal(CLIENT);
				expect(clientIp(request(`::ffff:${RENDER_PROXY}`, `2001:db8::7, 2606:4700:10::6814:1128`, setting))).to.equal("2001:db8::7");
			});

			it("ignores what the client wrote left of its own address", () => {
				expect(clientIp(request(RENDER_PROXY, `203.0.113.66, ${CLIENT}, ${CLOUDFLARE_EDGE}`, setting))).to.equal(CLIENT);
			});

			it("believes nothing from a peer that is not a proxy of the chain", () => {
				expect(clientIp(request("198.51.100.20", `${CLIENT}, ${CLOUDFLARE_EDGE}`, setting))).to.equal("198.51.100.20");
			});

			it("stops at the first address that is not Cloudflare's, so a forged chain reaches no further left", () => {
				expect(clientIp(request(RENDER_PROXY, `203.0.113.66, 198.51.100.9`, setting))).to.equal("198.51.100.9");
			});
		});
	}

	it("with TRUST_PROXY off believes nothing in the header", () => {
		for (const off of [undefined, "false", "0"]) {
			expect(clientIp(request(RENDER_PROXY, `${CLIENT}, ${CLOUDFLARE_EDGE}`, off)), String(off)).to.equal(RENDER_PROXY);
			expect(clientIp(request("127.0.0.1", "203.0.113.66", off)), String(off)).to.equal("127.0.0.1");
		}
	});

	it("counts hops as Express does: 1 trusts the peer only, 2 the peer and the hop before it", () => {
		expect(clientIp(request(RENDER_PROXY, `${CLIENT}, ${CLOUDFLARE_EDGE}`, "1"))).to.equal(CLOUDFLARE_EDGE);
		expect(clientIp(request(RENDER_PROXY, `203.0.113.66, ${CLIENT}, ${CLOUDFLARE_EDGE}`, "2"))).to.equal(CLIENT);
		expect(clientIp(request(RENDER_PROXY, undefined, "2"))).to.equal(RENDER_PROXY);
	});

	it("with true trusts every hop, as Express does: the left-most entry", () => {
		expect(clientIp(request(RENDER_PROXY, `203.0.113.66, ${CLIENT}`, "true"))).to.equal("203.0.113.66");
	});

	it("takes named ranges and CIDRs, and refuses anything else with a message naming TRUST_PROXY", () => {
		expect(loadConfig({ TRUST_PROXY: "loopback, uniquelocal, 104.16.0.0/13" }).trustProxy).to.deep.equal(["loopback", "uniquelocal", "104.16.0.0/13"]);
		expect(clientIp(request("127.0.0.1", "198.51.100.4", "loopback"))).to.equal("198.51.100.4");
		for (const bad of ["yes", "10.0.0.0/99", "loopback, not-an-address", "64"]) {
			let error: unknown;
			try {
				loadConfig({ TRUST_PROXY: bad });
			} catch (err) {
				error = err;
			}
			expect(error, bad).to.be.instanceOf(ConfigError);
			expect((error as ConfigError).variable).to.equal("TRUST_PROXY");
		}
	});
});
