import { expect, test } from "vitest";
import type { FeedFrame, SessionFigures } from "@chargemesh/shared-model/contracts";
import { SessionFeedHub } from "../../src/gateway/sessionFeedHub.js";

const figures = (sessionId: string, energyWh: number): SessionFigures => ({
  sessionId,
  siteId: "site-1",
  stallId: "s1",
  phase: "charging",
  powerW: 11_000,
  energyWh,
  costMinor: null,
  currency: null,
  socPermille: null,
  minutesToTarget: null,
  siteTimeMs: 1_000 + energyWh,
});
const frame = (sessionId: string, seq: number): FeedFrame => ({
  type: "frame",
  seq,
  figures: figures(sessionId, seq * 10),
});

test("frames are kept per session; a duplicate seq is dropped; viewers of the session and of its contract get each new frame once", () => {
  const hub = new SessionFeedHub({ framesPerSession: 4 });
  const bySession: number[] = [];
  const byContract: number[] = [];
  hub.watchSession("sess-aaaa", (f) => bySession.push(f.seq));
  hub.watchContract("DE-CMX-C00000001-1", (f) => byContract.push(f.seq));
  hub.ingest({ frame: frame("sess-aaaa", 1), contractId: null });
  hub.ingest({ frame: frame("sess-aaaa", 2), contractId: "DE-CMX-C00000001-1" });
  hub.ingest({ frame: frame("sess-aaaa", 2), contractId: "DE-CMX-C00000001-1" });
  hub.ingest({ frame: frame("sess-aaaa", 3), contractId: null });
  hub.ingest({ frame: frame("sess-bbbb", 1), contractId: "DE-CMX-C00000002-2" });
  expect(bySession).toEqual([1, 2, 3]);
  expect(byContract).toEqual([2, 3]);
  expect(hub.duplicates).toBe(1);
  expect(hub.contractOf("sess-aaaa")).toBe("DE-CMX-C00000001-1");
  expect(hub.latestOfContracts(new Set(["DE-CMX-C00000001-1"]), 10).map((f) => f.seq)).toEqual([3]);
});

test("resume: exactly the frames after the viewer's seq while held; a reset with the latest once the ring dropped them", () => {
  const hub = new SessionFeedHub({ framesPerSession: 4 });
  for (let seq = 1; seq <= 6; seq++) hub.ingest({ frame: frame("sess-aaaa", seq), contractId: null });
  expect(hub.since("sess-aaaa", 6)).toEqual([]);
  expect(hub.since("sess-aaaa", 3).map((d) => [d.kind, d.frame.seq])).toEqual([
    ["frame", 4],
    ["frame", 5],
    ["frame", 6],
  ]);
  expect(hub.since("sess-aaaa", 2).map((d) => [d.kind, d.frame.seq])).toEqual([
    ["frame", 3],
    ["frame", 4],
    ["frame", 5],
    ["frame", 6],
  ]);
  expect(hub.since("sess-aaaa", 1).map((d) => [d.kind, d.frame.seq])).toEqual([["reset", 6]]);
  expect(hub.since("sess-unknown", 0)).toEqual([]);
});

test("the hub holds a bounded number of sessions, evicting the least recently updated", () => {
  const hub = new SessionFeedHub({ maxSessions: 3 });
  for (const id of ["sess-0001", "sess-0002", "sess-0003"])
    hub.ingest({ frame: frame(id, 1), contractId: null });
  hub.ingest({ frame: frame("sess-0001", 2), contractId: null });
  hub.ingest({ frame: frame("sess-0004", 1), contractId: null });
  expect(hub.sessionCount).toBe(3);
  expect(hub.latest("sess-0002")).toBeNull();
  expect(hub.latest("sess-0001")?.seq).toBe(2);
});
