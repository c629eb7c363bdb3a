import { expect, test } from "vitest";
import { contractId, meterId, sessionId, stallId, technicianId } from "@chargemesh/shared-model";
import type { JournalEntry } from "@chargemesh/shared-model";
import type { SessionJournal } from "../../src/session/sessionJournal.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 10);

function entry(n: number, overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    sessionId: sessionId(`site:session-${String(n).padStart(4, "0")}`),
    stallId: stallId(`stall-${n % 3}`),
    meterId: meterId(`meter-${n % 3}`),
    startedAtMs: T0 + n * 60_000,
    state: "authorizing",
    contractId: contractId("DE-CMS-C00000001-1"),
    authorization: null,
    begin: null,
    end: null,
    endedAtMs: null,
    stopReason: null,
    stoppedBy: null,
    ...overrides,
  };
}

/**
 * The SessionJournal contract every implementation passes (`sessionJournalCompliance(name, open)`):
 * `open` gives a fresh journal; `reopen`, when given, the same journal after a restart.
 */
export function sessionJournalCompliance(
  name: string,
  open: () => Promise<{
    journal: SessionJournal;
    reopen?: () => Promise<SessionJournal>;
    close: () => Promise<void>;
  }>,
): void {
  test(`${name}: open is idempotent and get returns what was stored`, async () => {
    const { journal, close } = await open();
    await journal.open(entry(1));
    await journal.open(entry(1, { state: "charging" }));
    expect(journal.get(entry(1).sessionId)).toMatchObject({ state: "authorizing", stallId: "stall-1" });
    expect(journal.get(sessionId("site:never-opened"))).toBeNull();
    await close();
  });

  test(`${name}: updates merge; a terminal state is never left`, async () => {
    const { journal, close } = await open();
    const id = entry(2).sessionId;
    await journal.open(entry(2));
    await journal.update(id, {
      state: "charging",
      begin: { meterId: meterId("meter-2"), seq: 4, registerWh: 100 },
    });
    await journal.update(id, {
      state: "completed",
      end: { meterId: meterId("meter-2"), seq: 9, registerWh: 900 },
      endedAtMs: T0 + DAY / 2,
      stopReason: "full",
    });
    await journal.update(id, { state: "charging" });
    expect(journal.get(id)).toMatchObject({
      state: "completed",
      begin: { seq: 4 },
      end: { seq: 9, registerWh: 900 },
      stopReason: "full",
    });
    expect(journal.unfinished().map((e) => e.sessionId)).not.toContain(id);
    await close();
  });

  test(`${name}: recent is newest first; unfinished and per-contract counts follow the states and times`, async () => {
    const { journal, close } = await open();
    for (const n of [3, 4, 5]) await journal.open(entry(n));
    await journal.update(entry(3).sessionId, { state: "rejected", endedAtMs: T0 });
    expect(journal.recent(2).map((e) => e.sessionId)).toEqual([entry(5).sessionId, entry(4).sessionId]);
    expect(
      journal
        .unfinished()
        .map((e) => e.sessionId)
        .sort(),
    ).toEqual([entry(4).sessionId, entry(5).sessionId]);
    // A refused session is no charge: it does not count toward the per-day cap.
    expect(journal.countByContract(contractId("DE-CMS-C00000001-1"), T0, T0 + DAY)).toBe(2);
    expect(journal.countByContract(contractId("DE-CMS-C00000001-1"), T0 + DAY, T0 + 2 * DAY)).toBe(0);
    await close();
  });

  test(`${name}: technician actions set and clear a stall's out-of-service flag`, async () => {
    const { journal, close } = await open();
    const who = technicianId("tech-1");
    await journal.recordTechnicianAction({
      at: T0,
      technicianId: who,
      action: "out_of_service",
      stallId: stallId("stall-7"),
      sessionId: null,
      note: "cable damaged",
    });
    expect(journal.outOfService().get(stallId("stall-7"))).toMatchObject({
      technicianId: "tech-1",
      note: "cable damaged",
    });
    await journal.recordTechnicianAction({
      at: T0 + 1,
      technicianId: who,
      action: "return_to_service",
      stallId: stallId("stall-7"),
      sessionId: null,
      note: "",
    });
    expect(journal.outOfService().has(stallId("stall-7"))).toBe(false);
    await close();
  });

  test(`${name}: what resolved survives a restart`, async () => {
    const { journal, reopen, close } = await open();
    if (!reopen) return void (await close());
    await journal.open(entry(6));
    await journal.update(entry(6).sessionId, { state: "charging" });
    const again = await reopen();
    expect(again.get(entry(6).sessionId)).toMatchObject({ state: "charging" });
    expect(again.unfinished().map((e) => e.sessionId)).toContain(entry(6).sessionId);
    await close();
  });
}
