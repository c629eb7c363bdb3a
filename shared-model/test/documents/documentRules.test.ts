import { meterId, siteId } from "../../src/ids.js";
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as A from "@automerge/automerge";
import type { CloudState, SiteState } from "../../src/documents/sessionLattice.js";
import {
  joinCloudState,
  joinSessionFacts,
  joinSiteState,
  sessionStateOf,
} from "../../src/documents/sessionLattice.js";
import { migrateDocument } from "../../src/documents/migrations.js";
import { appendRecord, readLedgerSegment } from "../../src/documents/ledgerSegmentRules.js";
import { mergedBillingFact, writeBillingFact } from "../../src/documents/billingDayRules.js";
import { dayJournalSchema } from "../../src/documents/documentSchemas.js";
import type { BillingDay, LedgerSegment } from "../../src/documents/documentSchemas.js";

const siteStates: SiteState[] = ["authorizing", "charging", "stopping", "completed", "rejected", "failed"];
const cloudStates: CloudState[] = [
  "acknowledged",
  "rated",
  "invoiced",
  "payment_pending",
  "payment_retrying",
  "paid",
  "declined",
  "written_off",
];
const facts = fc.record({
  site: fc.constantFrom(null, ...siteStates),
  cloud: fc.constantFrom(null, ...cloudStates),
});

describe("session state lattice", () => {
  test("join is commutative, associative and idempotent (seed 7)", () => {
    console.log("lattice property seed=7");
    fc.assert(
      fc.property(facts, facts, facts, (a, b, c) => {
        expect(joinSessionFacts(a, b)).toEqual(joinSessionFacts(b, a));
        expect(joinSessionFacts(joinSessionFacts(a, b), c)).toEqual(
          joinSessionFacts(a, joinSessionFacts(b, c)),
        );
        expect(joinSessionFacts(a, a)).toEqual(a);
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  test("terminal states are final, later states win", () => {
    expect(joinSiteState("completed", "charging")).toBe("completed");
    expect(joinSiteState("authorizing", "stopping")).toBe("stopping");
    expect(joinCloudState("paid", "payment_retrying")).toBe("paid");
    expect(sessionStateOf({ site: "charging", cloud: "acknowledged" })).toBe("charging");
    expect(sessionStateOf({ site: "completed", cloud: "invoiced" })).toBe("invoiced");
  });
});

describe("migrations", () => {
  test("a v0 day journal (sessions as a list) becomes v1 and validates", () => {
    const v0 = {
      siteId: siteId("s"),
      day: "2026-01-01",
      sessions: [
        {
          sessionId: "s:000001",
          stallId: "a",
          meterId: "m",
          startedAtMs: 1,
          state: "completed",
          contractId: null,
          authorization: null,
          begin: null,
          end: null,
          endedAtMs: 2,
          stopReason: "full",
          stoppedBy: null,
        },
      ],
    };
    const r = migrateDocument("dayJournal", v0);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.schemaVersion).toBe(1);
    expect(dayJournalSchema.safeParse(r.value).success).toBe(true);
  });

  test("IDs are typed at the document boundary: a journal naming a malformed session ID or stall ID is refused", () => {
    const journal = (sessionId: string, stallId: string) => ({
      schemaVersion: 1,
      siteId: "s",
      day: "2026-01-01",
      technicianActions: [],
      sessions: {
        [sessionId]: {
          sessionId,
          stallId,
          meterId: "m",
          startedAtMs: 1,
          state: "completed",
          contractId: null,
          authorization: null,
          begin: null,
          end: null,
          endedAtMs: 2,
          stopReason: "full",
          stoppedBy: null,
        },
      },
    });
    expect(dayJournalSchema.safeParse(journal("s:000001", "a")).success).toBe(true);
    expect(dayJournalSchema.safeParse(journal("x", "a")).success).toBe(false);
    expect(dayJournalSchema.safeParse(journal("s:000001", "../etc")).success).toBe(false);
  });

  test("a version newer than this node knows is refused", () => {
    const r = migrateDocument("billingDay", { schemaVersion: 9 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("invalid_input");
  });
});

describe("ledger segment: grow-only, equivocation kept", () => {
  test("a key is never overwritten; identical bytes are a no-op", () => {
    let doc = A.from<LedgerSegment>({ schemaVersion: 1, meterId: meterId("m"), day: "d", records: {} });
    const results: string[] = [];
    doc = A.change(doc, (d) => {
      results.push(String(appendRecord(d, "m/0", new Uint8Array([1])).ok));
      results.push(String(appendRecord(d, "m/0", new Uint8Array([1])).ok));
      const third = appendRecord(d, "m/0", new Uint8Array([2]));
      results.push(third.ok ? "ok" : third.error.code);
    });
    expect(results).toEqual(["true", "true", "conflict"]);
    expect([...doc.records["m/0"]!]).toEqual([1]);
  });

  test("two writers' different records under one key surface on every peer as equivocation", () => {
    const base = A.from<LedgerSegment>({ schemaVersion: 1, meterId: meterId("m"), day: "d", records: {} });
    let p1 = A.clone(base, { actor: "aa".repeat(16) });
    let p2 = A.clone(base, { actor: "bb".repeat(16) });
    p1 = A.change(p1, (d) => void appendRecord(d, "m/5", new Uint8Array([5, 1])));
    p2 = A.change(p2, (d) => void appendRecord(d, "m/5", new Uint8Array([5, 2])));
    const m1 = A.merge(A.clone(p1), p2);
    const m2 = A.merge(A.clone(p2), p1);
    const [e1, e2] = [readLedgerSegment(m1), readLedgerSegment(m2)];
    expect(e1).toEqual(e2);
    expect(e1[0]!.equivocation).toBe(true);
    expect(e1[0]!.values.map((v) => [...v])).toEqual([
      [5, 1],
      [5, 2],
    ]);
  });
});

describe("billing day: several regions write at once", () => {
  test("the merged fact is the lattice join, whatever the merge order", () => {
    const base = A.from<BillingDay>({ schemaVersion: 1, siteId: siteId("s"), day: "d", regions: {} });
    let eu = A.clone(base, { actor: "01".repeat(16) });
    let us = A.clone(base, { actor: "02".repeat(16) });
    eu = A.change(
      eu,
      (d) =>
        void writeBillingFact(d, "eu", "s:1", {
          state: "invoiced",
          invoiceRef: "INV-EU-1",
          amountMinor: 1234,
          atMs: 1,
        }),
    );
    us = A.change(
      us,
      (d) =>
        void writeBillingFact(d, "us", "s:1", {
          state: "paid",
          invoiceRef: "INV-EU-1",
          amountMinor: 1234,
          atMs: 2,
        }),
    );
    eu = A.change(
      eu,
      (d) =>
        void writeBillingFact(d, "eu", "s:1", {
          state: "rated",
          invoiceRef: null,
          amountMinor: null,
          atMs: 3,
        }),
    );
    const a = mergedBillingFact(A.merge(A.clone(eu), us), "s:1");
    const b = mergedBillingFact(A.merge(A.clone(us), eu), "s:1");
    expect(a).toEqual(b);
    expect(a?.state).toBe("paid");
    expect(eu.regions.eu!.sessions["s:1"]!.state).toBe("invoiced");
  });
});
