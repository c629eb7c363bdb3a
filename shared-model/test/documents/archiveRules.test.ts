import { describe, expect, test } from "vitest";
import * as A from "@automerge/automerge";
import { archivable, closedDays, dayDocuments } from "../../src/documents/archiveRules.js";

const root = {
  journals: { "2026-06-01": "automerge:j1", "2026-06-02": "automerge:j2", "2026-06-04": "automerge:j4" },
  segments: {
    "meter-1/2026-06-01": "automerge:s11",
    "meter-1/2026-06-02": "automerge:s12",
    "meter-2/2026-06-01": "automerge:s21",
    "meter-1/2026-06-04": "automerge:s14",
  },
};
// Journals: j2 still has a charging session; the others only terminal ones. Segments carry records.
const held = new Map<string, A.Doc<unknown>>(
  ["j1", "j2", "j4", "s11", "s12", "s21", "s14"].map((id) => [
    id,
    A.from<Record<string, unknown>>(
      id.startsWith("j")
        ? { sessions: { a: { state: id === "j2" ? "charging" : "completed" }, b: { state: "rejected" } } }
        : { records: { [id]: 1 } },
    ),
  ]),
);
const docs = dayDocuments(root, (id) => held.get(id) ?? null);
const headsOf = (id: string) => [...A.getHeads(held.get(id)!)].sort();

describe("archive rules", () => {
  test("a journal is settled when every session is terminal; a document not held has no heads and is not settled", () => {
    expect(docs.find((d) => d.documentId === "j1")?.settled).toBe(true);
    expect(docs.find((d) => d.documentId === "j2")?.settled).toBe(false);
    expect(
      dayDocuments({ journals: { "2026-06-05": "automerge:gone" }, segments: {} }, () => null)[0],
    ).toMatchObject({ heads: [], settled: false });
  });

  test("the index reads as day documents with their meter and day", () => {
    expect(docs.find((d) => d.documentId === "s12")).toMatchObject({
      key: "segments/meter-1/2026-06-02",
      day: "2026-06-02",
      meterId: "meter-1",
    });
    expect(docs.find((d) => d.documentId === "j1")).toMatchObject({
      key: "journals/2026-06-01",
      meterId: null,
    });
  });

  test("closed: older than the kept days, settled, and never a meter's newest segment", () => {
    const ids = (today: string, keep: number) => closedDays(docs, today, keep).map((d) => d.documentId);
    expect(ids("2026-06-04", 1)).toEqual(["j1", "s11", "s12"]); // j2 unsettled; s21 is meter-2's newest
    expect(ids("2026-06-04", 3)).toEqual([]); // cutoff 06-01: nothing older
    expect(ids("2026-06-03", 1)).toEqual(["j1", "s11"]);
  });

  test("archivable: acknowledged at exactly the present heads", () => {
    const acks = {
      j1: headsOf("j1"),
      s11: [...headsOf("s11"), "later"],
      s12: headsOf("s12"),
      j4: headsOf("j4"),
    };
    expect(archivable(docs, acks, "2026-06-04", 1).map((d) => d.documentId)).toEqual(["j1", "s12"]);
    expect(archivable(docs, {}, "2026-06-04", 1)).toEqual([]);
  });
});
