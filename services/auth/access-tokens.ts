import crypto from "node:crypto";
import type { Role } from "./models.ts";

/** Short-lived: a stolen access token is useful for minutes; logout denylists its session sooner. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = "docanalysis-auth";
const AUDIENCE = "docanalysis-api";
/** RFC 9068's type for access tokens; refresh tokens are opaque, so neither passes for the other. */
const TOKEN_TYPE = "at+jwt";

/** HS256 with the shared secret, or EdDSA (Ed25519) when keys are configured. */
export type SigningKey = { algorithm: "HS256"; secret: string } | { algorithm: "EdDSA"; privateKeyPem: string; publicKeyPem: string };

export interface AccessClaims {
	userId: string;
	email: string;
	role: Role;
	sessionId: string;
}

type Jose = typeof import("jose");

/**
 * Signs and verifies access JWTs. The algorithm is pinned on verify (no `alg: none`, no switching
 * to another algorithm), and issuer, audience, type, expiry and not-before are all checked.
 */
export class AccessTokens {
	readonly #algorithm: SigningKey["algorithm"];
	readonly #signingKey: Uint8Array | crypto.KeyObject;
	readonly #verifyingKey: Uint8Array | crypto.KeyObject;
	#jose?: Jose;

	constructor(key: SigningKey) {
		this.#algorithm = key.algorithm;
		if (key.algorithm === "HS256") {
			this.#signingKey = this.#verifyingKey = new TextEncoder().encode(key.secret);
		} else {
			this.#signingKey = crypto.createPrivateKey(key.privateKeyPem);
			this.#verifyingKey = crypto.createPublicKey(key.publicKeyPem);
		}
	}

	/** jose is loaded at start so the first request does not pay for it. */
	async load(): Promise<void> {
		this.#jose ??= await import("jose");
	}

	async sign(claims: AccessClaims): Promise<string> {
		await this.load();
		const now = Math.floor(Date.now() / 1000);
		return new this.#jose!.SignJWT({ email: claims.email, role: claims.role, sid: claims.sessionId })
			.setProtectedHeader({ alg: this.#algorithm, typ: TOKEN_TYPE })
			.setIssuer(ISSUER)
			.setAudience(AUDIENCE)
			.setSubject(claims.userId)
			.setJti(crypto.randomUUID())
			.setIssuedAt(now)
			.setNotBefore(now)
			.setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
			.sign(this.#signingKey);
	}

	/** The claims of a valid token, or undefined for anything else (never a throw). */
	async verify(token: string): Promise<(AccessClaims & { expiresAt: number }) | undefined> {
		await this.load();
		try {
			const { payload } = await this.#jose!.jwtVerify(token, this.#verifyingKey, {
				algorithms: [this.#algorithm],
				issuer: ISSUER,
				audience: AUDIENCE,
				typ: TOKEN_TYPE,
				requiredClaims: ["sub", "exp", "nbf", "iat", "jti", "sid"],
				clockTolerance: 5,
			});
			const { sub, email, role, sid, exp } = payload;
			if (typeof sub !== "string" || typeof email !== "string" || typeof sid !== "string" || (role !== "user" && role !== "admin")) return undefined;
			return { userId: sub, email, role, sessionId: sid, expiresAt: exp! };
		} catch {
			return undefined;
		}
	}
}
