import type { SiteLedger } from "../ledgerView/siteLedgerView.js";
import type { BillableSession, BillableSessionSource } from "./billingTypes.js";

/** What the source reads: the sites this cloud peer holds and its verified view of each one's ledger. */
export interface VerifiedLedgers {
  siteIds(): readonly string[];
  ledger(siteId: string): Promise<SiteLedger | null>;
}

/**
 * Billable sessions from the cloud's verified site ledger views (CloudPeer.ledger): every session with
 * a contract whose begin record verified, with its end once that verified too. A session whose records
 * do not verify is never yielded, so it is never charged (it stays visible in the view's report).
 */
export class LedgerViewSessionSource implements BillableSessionSource {
  constructor(private readonly ledgers: VerifiedLedgers) {}

  async *sessions(): AsyncIterable<BillableSession> {
    for (const siteId of this.ledgers.siteIds()) {
      const ledger = await this.ledgers.ledger(siteId);
      if (!ledger) continue;
      for (const s of ledger.sessions) {
        if (s.contractId === null || s.beginRecord === null) continue;
        const reading = (r: NonNullable<typeof s.beginRecord>) => ({
          seq: r.seq,
          registerWh: r.registerWh,
          meterTimeMs: r.meterTimeMs,
          signedRecord: r.shipped,
        });
        yield {
          sessionId: s.sessionId,
          siteId: ledger.siteId,
          stallId: s.stallId,
          meterId: s.meterId,
          contractId: s.contractId,
          startedAtMs: s.startedAtMs,
          begin: reading(s.beginRecord),
          end: s.state === "completed" && s.endRecord ? reading(s.endRecord) : null,
        };
      }
    }
  }
}
