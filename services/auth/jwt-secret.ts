import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { PlatformConfig } from "../../shared/config.ts";
import type { SigningKey } from "./access-tokens.ts";

const SECRET_FILE = "jwt-secret";

/**
 * The key access tokens are signed with. Distributed mode always has JWT_SECRET (the config
 * refuses to start without it). Embedded mode without it generates one on first start and keeps
 * it under DATA_DIR, readable by this user only, so tokens survive restarts.
 */
export function resolveJwtSecret(config: PlatformConfig): string {
	if (config.jwtSecret) return config.jwtSecret;
	const file = path.join(config.dataDir, SECRET_FILE);
	fs.mkdirSync(config.dataDir, { recursive: true });
	// Written whole to a private temporary file, then linked into place: a process starting at the
	// same moment either sees the complete secret or creates none, never a half-written one.
	const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}`;
	fs.writeFileSync(temporary, crypto.randomBytes(32).toString("hex") + "\n", { flag: "wx", mode: 0o600 });
	try {
		fs.linkSync(temporary, file);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
		fs.chmodSync(file, 0o600);
	} finally {
		fs.rmSync(temporary, { force: true });
	}
	const secret = fs.readFileSync(file, "utf8").trim();
	if (secret.length < 32) throw new Error(`${file} holds no usable JWT secret; delete it to generate a new one, or set JWT_SECRET`);
	return secret;
}

/** EdDSA when Ed25519 keys are configured; otherwise HS256 with JWT_SECRET or the generated secret. */
export function resolveSigningKey(config: PlatformConfig): SigningKey {
	if (config.jwtKeys) return { algorithm: "EdDSA", ...config.jwtKeys };
	return { algorithm: "HS256", secret: resolveJwtSecret(config) };
}
