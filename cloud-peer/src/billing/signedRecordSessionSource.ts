import {
  INFORMATIONAL_CODES,
  contractId,
  decodeSignedRecord,
  ledgerKey,
  siteId,
  verifyChains,
} from "@chargemesh/shared-model";
import type { Ed25519, SessionId } from "@chargemesh/shared-model";
import type { BillableSession, BillableSessionSource, VerifiedReading } from "./billingTypes.js";

/** What a site's converged documents say about a session (its day-journal entry). */
export interface JournalFacts {
  readonly sessionId: string;
  readonly contractId: string | null;
  readonly startedAtMs: number;
}

/** One site's ledger slice: meter certificates, shipped signed records and journal facts. */
export interface SiteLedgerSlice {
  readonly siteId: string;
  readonly certificates: readonly Uint8Array[];
  readonly records: readonly Uint8Array[];
  readonly journal: readonly JournalFacts[];
}

/**
 * A BillableSessionSource over sites' signed records: verifies each slice's chains against the
 * operator keys given from outside (never keys from the data), and yields every session with a
 * contract whose begin record verified, with its end record once that verified too. Sessions on a
 * meter with a failing finding (bad signature, gap, equivocation, ...) are held back until it clears.
 * The lead's site ledger view can use this directly or implement BillableSessionSource itself.
 */
export class SignedRecordSessionSource implements BillableSessionSource {
  constructor(
    private readonly slices: () => Iterable<SiteLedgerSlice> | AsyncIterable<SiteLedgerSlice>,
    private readonly operatorKeys: ReadonlyMap<string, Uint8Array>,
    private readonly ed: Pick<Ed25519, "verify">,
  ) {}

  async *sessions(): AsyncIterable<BillableSession> {
    for await (const slice of this.slices()) yield* this.sessionsOf(slice);
  }

  private *sessionsOf(slice: SiteLedgerSlice): Iterable<BillableSession> {
    const report = verifyChains(
      { certificates: slice.certificates, operatorKeys: this.operatorKeys, records: slice.records },
      this.ed,
    );
    const tainted = new Set(
      report.findings.filter((f) => !INFORMATIONAL_CODES.has(f.code) && f.meterId).map((f) => f.meterId!),
    );
    if (report.findings.some((f) => f.code === "bad_certificate")) return;
    let site;
    try {
      site = siteId(slice.siteId);
    } catch {
      return;
    }
    const byKey = new Map<string, Uint8Array>();
    for (const shipped of slice.records) {
      const r = decodeSignedRecord(shipped);
      if (r.ok) byKey.set(ledgerKey(r.value.body.meterId, r.value.body.seq), shipped);
    }
    const journal = new Map(slice.journal.map((j) => [j.sessionId, j]));
    const reading = (meter: string, seq: number | null): VerifiedReading | null => {
      if (seq === null) return null;
      const shipped = byKey.get(`${meter}/${seq}`);
      const r = shipped ? decodeSignedRecord(shipped) : null;
      if (!shipped || !r?.ok) return null;
      return {
        seq,
        registerWh: r.value.body.registerWh,
        meterTimeMs: r.value.body.meterTimeMs,
        signedRecord: shipped,
      };
    };
    for (const s of report.sessions) {
      const facts = journal.get(s.sessionId);
      if (!facts?.contractId || tainted.has(s.meterId)) continue;
      const begin = reading(s.meterId, s.beginSeq);
      if (!begin) continue;
      let contract;
      try {
        contract = contractId(facts.contractId);
      } catch {
        continue; // a malformed eMAID in the journal: nobody to bill
      }
      yield {
        sessionId: s.sessionId as SessionId,
        siteId: site,
        stallId: s.stallId,
        meterId: s.meterId,
        contractId: contract,
        startedAtMs: facts.startedAtMs,
        begin,
        end: s.complete ? reading(s.meterId, s.endSeq) : null,
      };
    }
  }
}
