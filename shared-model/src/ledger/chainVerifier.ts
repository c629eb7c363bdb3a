import type { Ed25519 } from "./ed25519.js";
import type { LedgerReport } from "./ledgerVerifier.js";
import { verifyLedger } from "./ledgerVerifier.js";

export type { Finding, FindingCode } from "./findings.js";
export type { MeterSummary, SessionEnergy } from "./ledgerVerifier.js";

export type ChainReport = LedgerReport;

export interface ChainInput {
  readonly certificates: readonly Uint8Array[];
  /** Operator keys the caller trusts (from the operator's registry or the site's root document). */
  readonly operatorKeys: ReadonlyMap<string, Uint8Array>;
  readonly records: readonly Uint8Array[];
}

/**
 * Chain-only verification (no claims): certificates under `operatorKeys`, signatures, gapless
 * sequence numbers from 0, hash links, monotonic registers and times, equivocation, and each
 * session's energy from its signed records. Never throws on hostile bytes: every problem is a finding.
 */
export function verifyChains(input: ChainInput, ed: Pick<Ed25519, "verify">): ChainReport {
  return verifyLedger(
    { certificates: input.certificates, records: input.records, claims: null },
    { operatorKeys: input.operatorKeys, meters: null, maxRecordGapMs: null },
    { ed },
  );
}
