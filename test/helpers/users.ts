import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { http } from "./http.ts";

export interface RegisteredUser {
	user: { id: string; email: string; name: string | null; role: "user" | "admin"; createdAt: string };
	accessToken: string;
	refreshToken: string;
	expiresIn: number;
	email: string;
	password: string;
}

/** A password that passes the platform's rules: 24 random characters, never a common one. */
export function strongPassword(): string {
	return "Pw-" + crypto.randomBytes(18).toString("base64url");
}

export function uniqueEmail(label = "user"): string {
	return `${label}-${Date.now().toString(36)}-${crypto.randomBytes(4).toString("hex")}@example.test`;
}

/**
 * Registers a new account through the real HTTP API (unique email, strong password each call) and
 * returns its tokens and credentials. Throws with the server's answer when registration fails.
 */
export async function registerUser(
	baseUrl: string,
	overrides: { email?: string; password?: string; name?: string } = {}
): Promise<RegisteredUser> {
	const email = overrides.email ?? uniqueEmail();
	const password = overrides.password ?? strongPassword();
	const res = await http(baseUrl, "POST", "/api/v1/auth/register", { body: { email, password, name: overrides.name ?? "Test User" } });
	if (res.status !== 201) throw new Error(`registerUser(${email}) answered ${res.status}: ${res.text}`);
	return { ...res.body, email: res.body.user.email, password };
}

/** Signs an existing account in again; returns the new token pair. */
export async function loginUser(baseUrl: string, email: string, password: string): Promise<RegisteredUser> {
	const res = await http(baseUrl, "POST", "/api/v1/auth/login", { body: { email, password } });
	if (res.status !== 200) throw new Error(`loginUser(${email}) answered ${res.status}: ${res.text}`);
	return { ...res.body, email: res.body.user.email, password };
}

/**
 * An administrator: registered over HTTP, promoted through the broker (`auth.setRole`, the
 * operators' bus-only action), then signed in again so the access token carries the new role.
 */
export async function registerAdmin(broker: ServiceBroker, baseUrl: string): Promise<RegisteredUser> {
	const registered = await registerUser(baseUrl, { name: "Test Admin" });
	await broker.call("auth.setRole", { email: registered.email, role: "admin" });
	return loginUser(baseUrl, registered.email, registered.password);
}
