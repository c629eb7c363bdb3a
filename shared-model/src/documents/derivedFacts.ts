import type { MeterRecordBody } from "../ledger/meterRecordTypes.js";
import { ledgerKey } from "../ledger/meterRecordTypes.js";
import type { DayJournal } from "./documentSchemas.js";
import type { LedgerEntry } from "./ledgerSegmentRules.js";
import type { SiteState } from "./sessionLattice.js";
import type { MeterId } from "../ids.js";

export interface DerivedSession {
  readonly sessionId: string;
  readonly state: SiteState;
  /** end register - begin register from the signed records the journal points to; null until both are present. */
  readonly energyWh: number | null;
  /** A begin or end record the journal points to has equivocating values. */
  readonly equivocation: boolean;
}

/**
 * Derives each session's facts from converged documents: the state from the journal, the energy from
 * the signed begin and end records in the ledger segments. A pure function of the documents, so every
 * peer that holds the same documents derives the same facts. `decodeRecord` returns null for bytes
 * that do not decode.
 */
export function deriveSessionFacts(
  journal: DayJournal,
  segments: readonly LedgerEntry[][],
  decodeRecord: (shipped: Uint8Array) => MeterRecordBody | null,
): DerivedSession[] {
  const index = new Map<string, LedgerEntry>();
  for (const seg of segments) for (const e of seg) index.set(e.key, e);
  const registerAt = (meterId: string, seq: number): { wh: number | null; equivocation: boolean } => {
    const e = index.get(ledgerKey(meterId as MeterId, seq));
    if (!e) return { wh: null, equivocation: false };
    if (e.equivocation) return { wh: null, equivocation: true };
    return { wh: decodeRecord(e.values[0]!)?.registerWh ?? null, equivocation: false };
  };
  return Object.keys(journal.sessions)
    .sort()
    .map((id) => {
      const s = journal.sessions[id]!;
      const b = s.begin ? registerAt(s.begin.meterId, s.begin.seq) : { wh: null, equivocation: false };
      const e = s.end ? registerAt(s.end.meterId, s.end.seq) : { wh: null, equivocation: false };
      return {
        sessionId: id,
        state: s.state,
        energyWh: b.wh !== null && e.wh !== null ? e.wh - b.wh : null,
        equivocation: b.equivocation || e.equivocation,
      };
    });
}
