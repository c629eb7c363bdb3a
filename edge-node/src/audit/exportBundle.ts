import type { AuditBundle, ClaimedSession } from "@chargemesh/shared-model";
import type { LedgerStore } from "../ledger/ledgerStore.js";
import type { SessionEntry } from "../session/sessionJournal.js";

export interface BundleSource {
  readonly siteId: string;
  readonly operatorKeys: Record<string, Uint8Array>;
  readonly meterCertificates: Record<string, Uint8Array[]>;
  readonly ledger: LedgerStore;
  readonly sessions: Iterable<SessionEntry>;
}

/** Builds a self-contained audit bundle from any ledger store and session list (site store, demo). */
export function buildAuditBundle(src: BundleSource, createdAtMs: number): AuditBundle {
  const records: Uint8Array[] = [];
  for (const m of [...src.ledger.meters()].sort()) records.push(...src.ledger.records(m));
  const sessions: ClaimedSession[] = [...src.sessions]
    .filter((s) => s.begin !== null)
    .map((s) => ({
      sessionId: s.sessionId,
      stallId: s.stallId,
      meterId: s.meterId,
      contractId: s.contractId,
      state: s.state,
      energyWh: s.begin && s.end ? s.end.registerWh - s.begin.registerWh : null,
    }));
  return {
    version: 1,
    siteId: src.siteId,
    createdAtMs,
    operatorKeys: Object.entries(src.operatorKeys).map(([k, v]) => [k, new Uint8Array(v)] as const),
    certificates: Object.values(src.meterCertificates).flat().map((c) => new Uint8Array(c)),
    records,
    sessions,
  };
}
