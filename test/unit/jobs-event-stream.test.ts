import { expect } from "chai";
import type { PassThrough } from "node:stream";
import { jobEventStream, type JobEventStreamOptions } from "../../shared/jobs/index.ts";

interface Snapshot {
	status: string;
	done: number;
}

/** A job whose snapshot the test changes, with the listeners the stream registered. */
function fakeJob(initial: Snapshot | null) {
	const job = {
		snapshot: initial as Snapshot | null,
		reads: 0,
		concurrentReads: 0,
		maxConcurrentReads: 0,
		listeners: new Set<() => void>(),
		async read() {
			job.reads++;
			job.maxConcurrentReads = Math.max(job.maxConcurrentReads, ++job.concurrentReads);
			await new Promise(r => setTimeout(r, 5));
			job.concurrentReads--;
			return job.snapshot && { ...job.snapshot };
		},
		subscribe(listener: () => void) {
			job.listeners.add(listener);
			return () => job.listeners.delete(listener);
		},
		notify() {
			for (const listener of job.listeners) listener();
		},
	};
	return job;
}

const renderStatus: JobEventStreamOptions<Snapshot>["render"] = (snapshot, send) => {
	send("progress", snapshot);
	return snapshot.status === "succeeded";
};

function collect(stream: PassThrough): { text: () => string; ended: Promise<void> } {
	let text = "";
	stream.on("data", chunk => (text += chunk.toString()));
	return { text: () => text, ended: new Promise(resolve => stream.once("end", () => resolve())) };
}

const events = (text: string) => [...text.matchAll(/^event: (.*)\ndata: (.*)$/gm)].map(([, event, data]) => ({ event, data: JSON.parse(data) }));

describe("job event stream (server-sent events)", () => {
	it("sends a snapshot at once, one per notice, and ends after the ending snapshot", async () => {
		const job = fakeJob({ status: "running", done: 1 });
		let closed = 0;
		const stream = jobEventStream(job, { render: renderStatus, pollMs: 60_000, keepAliveMs: 60_000, maxLifetimeMs: 60_000, onClose: () => closed++ });
		const out = collect(stream);
		await new Promise(r => setTimeout(r, 30));
		job.snapshot = { status: "succeeded", done: 2 };
		job.notify();
		await out.ended;
		expect(out.text().startsWith("retry: 2000\n\n")).to.equal(true);
		expect(events(out.text())).to.deep.equal([
			{ event: "progress", data: { status: "running", done: 1 } },
			{ event: "progress", data: { status: "succeeded", done: 2 } },
		]);
		expect(closed).to.equal(1);
		expect(job.listeners.size, "unsubscribed").to.equal(0);
	});

	it("reads one snapshot at a time however many notices arrive", async () => {
		const job = fakeJob({ status: "running", done: 0 });
		const stream = jobEventStream(job, { render: renderStatus, pollMs: 60_000, keepAliveMs: 60_000, maxLifetimeMs: 60_000 });
		const out = collect(stream);
		for (let i = 0; i < 20; i++) job.notify();
		await new Promise(r => setTimeout(r, 40));
		job.snapshot = { status: "succeeded", done: 1 };
		job.notify();
		await out.ended;
		expect(job.maxConcurrentReads).to.equal(1);
		// Notices that arrived while a read waited shared it.
		expect(job.reads).to.be.below(6);
	});

	it("polls without notices, since notices may be lost", async () => {
		const job = fakeJob({ status: "running", done: 0 });
		const stream = jobEventStream(job, { render: renderStatus, pollMs: 20, keepAliveMs: 60_000, maxLifetimeMs: 60_000 });
		const out = collect(stream);
		await new Promise(r => setTimeout(r, 30));
		job.snapshot = { status: "succeeded", done: 1 };
		await out.ended;
		expect(events(out.text()).at(-1)).to.deep.equal({ event: "progress", data: { status: "succeeded", done: 1 } });
	});

	it("says `gone` and ends when the job disappears", async () => {
		const stream = jobEventStream(fakeJob(null), { render: renderStatus, pollMs: 60_000, keepAliveMs: 60_000, maxLifetimeMs: 60_000 });
		const out = collect(stream);
		await out.ended;
		expect(events(out.text()).map(e => e.event)).to.deep.equal(["gone"]);
	});

	it("cleans up when the client leaves, and sends keep-alives until then", async () => {
		const job = fakeJob({ status: "running", done: 0 });
		let closed = 0;
		const stream = jobEventStream(job, { render: renderStatus, pollMs: 10, keepAliveMs: 10, maxLifetimeMs: 60_000, onClose: () => closed++ });
		const out = collect(stream);
		await new Promise(r => setTimeout(r, 50));
		expect(out.text()).to.include(": keep-alive\n\n");
		stream.destroy();
		await new Promise(r => setTimeout(r, 20));
		const reads = job.reads;
		await new Promise(r => setTimeout(r, 50));
		expect(closed).to.equal(1);
		expect(job.listeners.size).to.equal(0);
		expect(job.reads, "no more polling after the client left").to.equal(reads);
	});

	it("ends a stream that outlives maxLifetimeMs", async () => {
		let closed = 0;
		const stream = jobEventStream(fakeJob({ status: "running", done: 0 }), { render: renderStatus, pollMs: 60_000, keepAliveMs: 60_000, maxLifetimeMs: 50, onClose: () => closed++ });
		await collect(stream).ended;
		expect(closed).to.equal(1);
	});
});
