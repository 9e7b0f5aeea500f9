import { expect } from "chai";
import { RouteOwners, type GatewayRoute } from "../../services/api/route-availability.ts";

/** What the gateway hands RouteOwners after building a route: moleculer-web's route, aliases and the registry's services. */
const restApi: GatewayRoute = { path: "/api/v1", opts: { whitelist: ["auth.*", "documents.*", "analyses.*", "llm.*", "optimizer.*"] } };
const openAi: GatewayRoute = { path: "/v1", opts: { whitelist: ["openai.*"] } };

function service(fullName: string, actions: string[], rest?: unknown) {
	return { fullName, settings: rest === undefined ? {} : { rest }, actions: Object.fromEntries(actions.map(a => [`${fullName}.${a}`, {}])) };
}

const alias = (route: GatewayRoute, fullPath: string, action: string) => ({ route, fullPath, action });

const SERVICES = [
	service("auth", ["login", "me"]),
	service("documents", ["list", "get", "text"]),
	service("analyses", ["create", "get"]),
	service("optimizer", ["listStudies", "listProfiles", "deleteProfile"]),
	service("openai", ["chatCompletions", "models"], "/"),
	service("api", ["rest"]),
];

const ALIASES = [
	alias(restApi, "/api/v1/auth/login", "auth.login"),
	alias(restApi, "/api/v1/auth/me", "auth.me"),
	alias(restApi, "/api/v1/documents", "documents.list"),
	alias(restApi, "/api/v1/documents/:id", "documents.get"),
	alias(restApi, "/api/v1/documents/:id/text", "documents.text"),
	alias(restApi, "/api/v1/documents/:id/analyses", "analyses.create"),
	alias(restApi, "/api/v1/analyses/:id", "analyses.get"),
	alias(restApi, "/api/v1/optimizer/studies", "optimizer.listStudies"),
	alias(restApi, "/api/v1/profiles", "optimizer.listProfiles"),
	alias(restApi, "/api/v1/profiles/:name", "optimizer.deleteProfile"),
	alias(openAi, "/v1/chat/completions", "openai.chatCompletions"),
	alias(openAi, "/v1/models", "openai.models"),
	// A static alias of another route: not learned from this route's generation.
	alias({ path: "/health", opts: {} }, "/health/ready", null as unknown as string),
];

function learned(): RouteOwners {
	const owners = new RouteOwners();
	owners.learn(restApi, ALIASES, SERVICES);
	owners.learn(openAi, ALIASES, SERVICES);
	return owners;
}

describe("route availability: which service a path belongs to, learned from the gateway's aliases", () => {
	it("gives each alias's path to the service of its action, the most specific alias winning", () => {
		const owners = learned();
		expect(owners.ownersOf("/api/v1/auth/login")).to.deep.equal(["auth"]);
		expect(owners.ownersOf("/api/v1/documents")).to.deep.equal(["documents"]);
		expect(owners.ownersOf("/api/v1/documents/d1")).to.deep.equal(["documents"]);
		expect(owners.ownersOf("/api/v1/documents/d1/text")).to.deep.equal(["documents"]);
		// Nested under /documents, but the analyses service's.
		expect(owners.ownersOf("/api/v1/documents/d1/analyses")).to.deep.equal(["analyses"]);
		expect(owners.ownersOf("/api/v1/documents/d1/analyses/more")).to.deep.equal(["analyses"]);
		expect(owners.ownersOf("/api/v1/analyses/a1")).to.deep.equal(["analyses"]);
		expect(owners.ownersOf("/api/v1/profiles/fast")).to.deep.equal(["optimizer"]);
		expect(owners.ownersOf("/v1/chat/completions")).to.deep.equal(["openai"]);
	});

	it("gives a serving service the rest of its base path: settings.rest, else its name", () => {
		const owners = learned();
		expect(owners.ownersOf("/api/v1/auth/not-an-action")).to.deep.equal(["auth"]);
		expect(owners.ownersOf("/api/v1/optimizer/anything/else")).to.deep.equal(["optimizer"]);
		// settings.rest "/" under /v1: the whole route.
		expect(owners.ownersOf("/v1/embeddings")).to.deep.equal(["openai"]);
		// Case as path-to-regexp matches it (insensitive); a trailing slash is no new segment.
		expect(owners.ownersOf("/API/v1/Documents/d1/")).to.deep.equal(["documents"]);
	});

	it("gives nobody paths no served service claims: the gateway's own, other routes, unknown prefixes", () => {
		const owners = learned();
		for (const path of ["/", "/health/ready", "/api/v1/nothing-here", "/api/v2/documents", "/api/v1", "/v2/models"]) {
			expect(owners.ownersOf(path), path).to.deep.equal([]);
		}
		// `api` is in the registry but serves no alias of the route: its base path is not claimed.
		expect(owners.ownersOf("/api/v1/api/rest")).to.deep.equal([]);
	});

	it("remembers what it learned after the service's aliases are gone", () => {
		const owners = learned();
		owners.learn(restApi, ALIASES.filter(a => !a.action?.startsWith("analyses.")), SERVICES.filter(s => s.fullName !== "analyses"));
		expect(owners.ownersOf("/api/v1/documents/d1/analyses")).to.deep.equal(["analyses"]);
		expect(owners.ownersOf("/api/v1/analyses/a1")).to.deep.equal(["analyses"]);
	});

	it("learns a service nobody listed: its own base path and a path nested under another service", () => {
		const owners = learned();
		const reports = service("reports", ["get", "forDocument"], "/insights");
		owners.learn(restApi, [alias(restApi, "/api/v1/insights/:id", "reports.get"), alias(restApi, "/api/v1/documents/:id/insights", "reports.forDocument")], [...SERVICES, reports]);
		expect(owners.ownersOf("/api/v1/insights/r1")).to.deep.equal(["reports"]);
		expect(owners.ownersOf("/api/v1/insights/r1/deeper")).to.deep.equal(["reports"]);
		expect(owners.ownersOf("/api/v1/documents/d1/insights")).to.deep.equal(["reports"]);
		expect(owners.ownersOf("/api/v1/documents/d1")).to.deep.equal(["documents"]);
	});

	it("reads a pattern up to the first segment it cannot match, and never claims a route's root", () => {
		const owners = new RouteOwners();
		const files = service("files", ["get", "raw"], "/");
		owners.learn(restApi, [alias(restApi, "/api/v1/files/:name.:ext", "files.get"), alias(restApi, "/api/v1/raw{/:path}", "files.raw")], [files]);
		expect(owners.ownersOf("/api/v1/files/report.pdf")).to.deep.equal(["files"]);
		// "/raw{/:path}" stops before its first segment: nothing more specific than the base path "/" under /api/v1.
		expect(owners.ownersOf("/api/v1/raw/x")).to.deep.equal(["files"]);
		const root = new RouteOwners();
		const rootRoute: GatewayRoute = { path: "/", opts: {} };
		root.learn(rootRoute, [alias(rootRoute, "/x", "files.get")], [files]);
		expect(root.ownersOf("/anything")).to.deep.equal([]);
		expect(root.ownersOf("/x")).to.deep.equal(["files"]);
	});

	it("names the services a route whitelists that it has never seen, whose paths it cannot know yet", () => {
		const owners = new RouteOwners();
		expect(owners.unseenServices(restApi)).to.deep.equal(["auth", "documents", "analyses", "llm", "optimizer"]);
		owners.learn(restApi, ALIASES, SERVICES);
		expect(owners.unseenServices(restApi)).to.deep.equal(["llm"]);
		expect(owners.unseenServices(openAi)).to.deep.equal([]);
		expect(owners.unseenServices({ path: "/", opts: { whitelist: ["**", /x/] } })).to.deep.equal([]);
		expect(owners.unseenServices(undefined)).to.deep.equal([]);
	});
});
