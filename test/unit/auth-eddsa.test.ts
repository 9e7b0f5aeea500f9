import { expect } from "chai";
import crypto from "node:crypto";
import { loadConfig, ConfigError } from "../../shared/config.ts";
import { AccessTokens } from "../../services/auth/access-tokens.ts";
import { startPlatform } from "../helpers/platform.ts";
import { http } from "../helpers/http.ts";
import { registerUser } from "../helpers/users.ts";

function ed25519Pems() {
	const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
	return {
		privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
		publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
	};
}

const claims = { userId: "3f1c5a4e-0000-4000-8000-000000000001", email: "a@example.test", role: "user" as const, sessionId: "s1" };
const header = (token: string) => JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString());

describe("EdDSA access tokens (JWT_PRIVATE_KEY)", () => {
	it("reads Ed25519 keys from the environment, one-line PEM with \\n too", () => {
		const keys = ed25519Pems();
		const config = loadConfig({ JWT_PRIVATE_KEY: keys.privateKeyPem.replace(/\n/g, "\\n") });
		expect(config.jwtKeys?.publicKeyPem).to.equal(keys.publicKeyPem);
		// Distributed nodes may share keys instead of a secret.
		const distributed = loadConfig({ TRANSPORTER: "nats://127.0.0.1:4222", DATABASE_URL: "postgres://u@h/d", REDIS_URL: "redis://h", JWT_PRIVATE_KEY: keys.privateKeyPem });
		expect(distributed.jwtSecret).to.equal(undefined);
	});

	it("refuses keys that cannot work, naming the variable", () => {
		const expectError = (env: Record<string, string>, variable: string, message: RegExp) => {
			try {
				loadConfig(env);
			} catch (err) {
				expect(err).to.be.instanceOf(ConfigError);
				expect((err as ConfigError).variable).to.equal(variable);
				expect((err as Error).message).to.match(message);
				return;
			}
			throw new Error("expected a ConfigError");
		};
		const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
		expectError({ JWT_PRIVATE_KEY: "not a key" }, "JWT_PRIVATE_KEY", /not a PEM private key/);
		expectError({ JWT_PRIVATE_KEY: rsa }, "JWT_PRIVATE_KEY", /must be an Ed25519 key, got rsa/);
		expectError({ JWT_PRIVATE_KEY: ed25519Pems().privateKeyPem, JWT_PUBLIC_KEY: ed25519Pems().publicKeyPem }, "JWT_PUBLIC_KEY", /does not belong/);
		expectError({ JWT_PUBLIC_KEY: ed25519Pems().publicKeyPem }, "JWT_PRIVATE_KEY", /set both, or neither/);
	});

	it("signs with EdDSA and accepts nothing signed otherwise", async () => {
		const keys = ed25519Pems();
		const tokens = new AccessTokens({ algorithm: "EdDSA", ...keys });
		const token = await tokens.sign(claims);
		expect(header(token).alg).to.equal("EdDSA");
		expect((await tokens.verify(token))?.userId).to.equal(claims.userId);

		const otherKey = await new AccessTokens({ algorithm: "EdDSA", ...ed25519Pems() }).sign(claims);
		const hmac = await new AccessTokens({ algorithm: "HS256", secret: "s".repeat(32) }).sign(claims);
		const [, payload] = token.split(".");
		const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url")}.${payload}.`;
		for (const forged of [otherKey, hmac, unsigned]) expect(await tokens.verify(forged)).to.equal(undefined);
	});

	it("runs the platform's sign-in with EdDSA tokens", async () => {
		const platform = await startPlatform({ env: { JWT_PRIVATE_KEY: ed25519Pems().privateKeyPem } });
		try {
			const user = await registerUser(platform.baseUrl);
			expect(header(user.accessToken).alg).to.equal("EdDSA");
			const me = await http(platform.baseUrl, "GET", "/api/v1/auth/me", { token: user.accessToken });
			expect(me.status).to.equal(200);
			expect(me.body.email).to.equal(user.email);
		} finally {
			await platform.stop();
		}
	});
});
