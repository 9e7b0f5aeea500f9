/**
 * Who is signed in. The access token lives in sessionStorage (this tab only, gone when it closes)
 * so a reload keeps you signed in for its short life. The refresh token is never stored by
 * script: the console asks the server (header X-Console: 1) to keep it in an httpOnly cookie; a
 * server that answers it in the body anyway has it kept in memory only, so a reload forgets it.
 */
const ACCESS_TOKEN_KEY = "console.accessToken";
/** Not a secret: only says a refresh cookie may exist, so a first visit does not ask for one in vain. */
const SESSION_HINT_KEY = "console.mayHaveSession";

export interface SignedInUser {
	id: string;
	email: string;
	name?: string | null;
	role: string;
}

export interface SignInAnswer {
	user: SignedInUser;
	accessToken: string;
	refreshToken?: string;
	expiresIn?: number;
}

let refreshTokenInMemory: string | undefined;
let currentUser: SignedInUser | undefined;
const listeners = new Set<() => void>();

export function accessToken(): string | null {
	return sessionStorage.getItem(ACCESS_TOKEN_KEY);
}

export function mayHaveSession(): boolean {
	return localStorage.getItem(SESSION_HINT_KEY) === "1";
}

export function refreshTokenFallback(): string | undefined {
	return refreshTokenInMemory;
}

export function user(): SignedInUser | undefined {
	return currentUser;
}

export function signedIn(answer: SignInAnswer): void {
	sessionStorage.setItem(ACCESS_TOKEN_KEY, answer.accessToken);
	localStorage.setItem(SESSION_HINT_KEY, "1");
	refreshTokenInMemory = answer.refreshToken;
	currentUser = answer.user;
	listeners.forEach(l => l());
}

export function setUser(value: SignedInUser): void {
	currentUser = value;
	listeners.forEach(l => l());
}

export function signedOut(): void {
	sessionStorage.removeItem(ACCESS_TOKEN_KEY);
	localStorage.removeItem(SESSION_HINT_KEY);
	refreshTokenInMemory = undefined;
	currentUser = undefined;
	listeners.forEach(l => l());
}

export function onSessionChange(listener: () => void): void {
	listeners.add(listener);
}
