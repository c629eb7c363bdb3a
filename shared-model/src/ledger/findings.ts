/**
 * Finding codes of the ledger verifier (docs/auditing.md "Finding codes"). Codes never change once
 * released. `duplicate_record`, `claim_behind_records`, `session_not_invoiced` and
 * `discount_not_recomputed` are informational; every other code fails.
 */
export type FindingCode =
  | "malformed_bundle"
  | "malformed_record"
  | "empty_bundle"
  | "untrusted_operator_key"
  | "bad_certificate"
  | "unknown_meter"
  | "meter_missing"
  | "bad_signature"
  | "duplicate_record"
  | "equivocation"
  | "record_out_of_order"
  | "sequence_gap"
  | "broken_hash_link"
  | "register_regressed"
  | "meter_time_regressed"
  | "bad_meter_payload"
  | "time_gap"
  | "chain_tail_missing"
  | "chain_head_missing"
  | "head_mismatch"
  | "session_inconsistent"
  | "session_incomplete"
  | "energy_mismatch"
  | "claim_mismatch"
  | "claim_behind_records"
  | "claim_without_records"
  | "session_without_claim"
  | "duplicate_claim"
  | "total_mismatch"
  // Invoice recomputation (`chargemesh-audit verify --tariffs`, docs/auditing.md "Invoices").
  | "invoice_mismatch"
  | "invoice_without_session"
  | "rating_failed"
  | "session_not_invoiced"
  | "discount_not_recomputed";

export const INFORMATIONAL_CODES: ReadonlySet<FindingCode> = new Set([
  "duplicate_record",
  "claim_behind_records",
  "session_not_invoiced",
  "discount_not_recomputed",
]);

export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
  readonly meterId?: string;
  readonly seq?: number;
  /** Last sequence number of a range (sequence_gap). */
  readonly toSeq?: number;
  /** Position of the record (or certificate) in the input, when the finding concerns one. */
  readonly index?: number;
  readonly sessionId?: string;
  /** The claim field that disagrees with the signed records (claim_mismatch), or the invoice fields (invoice_mismatch). */
  readonly field?: string;
}

/** Detailed findings kept per code; counts stay exact beyond it, so the report's size is bounded. */
export const MAX_FINDINGS_PER_CODE = 100;

/** Collects findings: every finding is counted, the first MAX_FINDINGS_PER_CODE of a code are kept. */
export class FindingLog {
  readonly kept: Finding[] = [];
  readonly counts = new Map<FindingCode, number>();

  add(f: Finding): void {
    const n = (this.counts.get(f.code) ?? 0) + 1;
    this.counts.set(f.code, n);
    if (n <= MAX_FINDINGS_PER_CODE) this.kept.push(f);
  }

  /** Number of findings that fail verification. */
  failing(): number {
    let n = 0;
    for (const [code, c] of this.counts) if (!INFORMATIONAL_CODES.has(code)) n += c;
    return n;
  }

  countsObject(): Partial<Record<FindingCode, number>> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
