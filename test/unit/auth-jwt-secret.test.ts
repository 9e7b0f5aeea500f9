import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../shared/config.ts";
import { resolveJwtSecret } from "../../services/auth/jwt-secret.ts";

describe("auth: JWT secret", () => {
	let dataDir: string;

	beforeEach(() => {
		dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jwt-secret-")), "data");
	});

	afterEach(() => {
		fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
	});

	it("generates one secret under DATA_DIR, readable by its owner only, and reuses it", () => {
		const config = loadConfig({ DATA_DIR: dataDir });
		const secret = resolveJwtSecret(config);
		expect(secret).to.match(/^[0-9a-f]{64}$/);
		const file = path.join(dataDir, "jwt-secret");
		expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
		expect(resolveJwtSecret(config)).to.equal(secret);
		expect(fs.readdirSync(dataDir)).to.deep.equal(["jwt-secret"]);
	});

	it("tightens a secret file that others could read", () => {
		const config = loadConfig({ DATA_DIR: dataDir });
		const secret = resolveJwtSecret(config);
		fs.chmodSync(path.join(dataDir, "jwt-secret"), 0o644);
		expect(resolveJwtSecret(config)).to.equal(secret);
		expect(fs.statSync(path.join(dataDir, "jwt-secret")).mode & 0o777).to.equal(0o600);
	});

	it("uses JWT_SECRET when set and writes nothing", () => {
		const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: "s".repeat(32) });
		expect(resolveJwtSecret(config)).to.equal("s".repeat(32));
		expect(fs.existsSync(dataDir)).to.equal(false);
	});

	it("refuses an unusable secret file with a message saying what to do", () => {
		fs.mkdirSync(dataDir, { recursive: true });
		fs.writeFileSync(path.join(dataDir, "jwt-secret"), "short\n");
		expect(() => resolveJwtSecret(loadConfig({ DATA_DIR: dataDir }))).to.throw(/delete it to generate a new one, or set JWT_SECRET/);
	});
});
