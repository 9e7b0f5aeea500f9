import { expect } from "chai";
import { ServiceBroker, type Context } from "moleculer";
import { currentLogContext, logContextMiddleware, withLogContext } from "../../shared/log-context.middleware.ts";
import { captureLogLines } from "../helpers/log-lines.ts";
import type { AuthenticatedUser } from "../../shared/contracts/auth.ts";

describe("log context", () => {
	it("adds the request id and user to every line written while serving a request, and nothing outside one", async () => {
		const { logger, lines } = captureLogLines();
		const ctx = { requestID: "my-req-456", meta: { user: { id: "user-7", role: "user" as const, email: "u7@example.com", via: "access-token" as const } } };
		logger.info("before");
		await withLogContext(ctx, async () => {
			logger.info("inside");
			await new Promise(resolve => setTimeout(resolve, 5));
			logger.warn({ documentId: "d1" }, "after an await");
		});
		logger.info("after");
		const [before, inside, later, after] = lines();
		expect(before).to.not.have.property("requestId");
		expect(inside).to.include({ requestId: "my-req-456", userId: "user-7", msg: "inside" });
		expect(later).to.include({ requestId: "my-req-456", userId: "user-7", documentId: "d1" });
		expect(after).to.not.have.property("requestId");
	});

	it("names the user from the moment the gateway learns it, within the same request", () => {
		const { logger, lines } = captureLogLines();
		const ctx: { requestID: string; meta: { user?: AuthenticatedUser } } = { requestID: "r1", meta: {} };
		withLogContext(ctx, () => {
			logger.info("before sign-in");
			ctx.meta.user = { id: "user-9", role: "user", email: "u9@example.com", via: "access-token" };
			logger.info("after sign-in");
		});
		const [first, second] = lines();
		expect(first).to.include({ requestId: "r1" }).and.not.have.property("userId");
		expect(second).to.include({ requestId: "r1", userId: "user-9" });
	});

	it("stops naming the request once it is answered, in timers it started (a job queue it nudged)", async () => {
		const { logger, lines } = captureLogLines();
		let later: Promise<void> | undefined;
		await withLogContext({ requestID: "r-timer", meta: {} }, async () => {
			later = new Promise(resolve => setTimeout(() => resolve(logger.info("polling on")), 30));
			logger.info("serving");
		});
		await later;
		const [serving, polling] = lines();
		expect(serving).to.include({ requestId: "r-timer" });
		expect(polling).to.include({ msg: "polling on" }).and.not.have.property("requestId");
	});

	describe("the middleware, on a real broker", () => {
		const broker = new ServiceBroker({ logger: false, middlewares: [logContextMiddleware()] });
		const seen: Record<string, unknown>[] = [];

		before(async () => {
			broker.createService({
				name: "probe",
				actions: {
					async outer(ctx: Context) {
						await new Promise(resolve => setTimeout(resolve, 5));
						seen.push({ at: "outer", ...currentLogContext() });
						return ctx.call("probe.inner");
					},
					inner() {
						return currentLogContext();
					},
				},
				events: {
					"probe.happened"() {
						seen.push({ at: "event", ...currentLogContext() });
					},
				},
			});
			await broker.start();
		});
		after(() => broker.stop());

		it("gives each action and its nested calls the caller's request id and user", async () => {
			const inner = await broker.call("probe.outer", {}, { requestID: "abc-123", meta: { user: { id: "u-1", role: "user" } } });
			expect(inner).to.deep.equal({ requestId: "abc-123", userId: "u-1" });
			expect(seen).to.deep.include({ at: "outer", requestId: "abc-123", userId: "u-1" });
		});

		it("gives an event handler the emitter's request id", async () => {
			await broker.broadcastLocal("probe.happened", {}, { requestID: "evt-1" } as never);
			await new Promise(resolve => setTimeout(resolve, 20));
			expect(seen).to.deep.include({ at: "event", requestId: "evt-1" });
		});

		it("generates a request id when the caller sends none", async () => {
			const inner = (await broker.call("probe.inner")) as { requestId?: string };
			expect(inner.requestId).to.be.a("string").and.not.empty;
		});
	});
});
