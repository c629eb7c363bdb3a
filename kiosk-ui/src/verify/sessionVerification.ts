import { nobleEd25519, verifyChains } from "@chargemesh/shared-model";
import type { SessionLedger } from "@chargemesh/shared-model/contracts";

export interface SessionVerification {
  readonly ok: boolean;
  /** Records checked (the session's slice of its meter chain). */
  readonly records: number;
  /** Energy the signed begin and end records prove, Wh; null when the slice has no end yet. */
  readonly energyWh: number | null;
  readonly problems: readonly string[];
}

const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/**
 * Verifies one session's slice of its meter chain in the browser with shared-model's pure verifier
 * (noble Ed25519): certificates against the operator keys, every signature, hash links, registers,
 * and the session's energy. Positions before the slice are not part of it (their gaps are not
 * problems). Never throws.
 */
export function verifySessionLedger(ledger: SessionLedger, sessionId: string): SessionVerification {
  try {
    const report = verifyChains(
      {
        certificates: ledger.certificates.map(fromBase64),
        operatorKeys: new Map(ledger.operatorKeys.map(([k, v]) => [k, fromBase64(v)])),
        records: ledger.records.map(fromBase64),
      },
      nobleEd25519,
    );
    const problems = report.findings
      .filter(
        (f) => f.code !== "duplicate_record" && !(f.code === "sequence_gap" && (f.seq ?? 0) < ledger.fromSeq),
      )
      .map((f) => f.message);
    const session = report.sessions.find((s) => s.sessionId === sessionId);
    if (!session) problems.push("no signed record carries this session");
    if (ledger.truncated)
      problems.push("the slice was cut at the site's bound: not every record was checked");
    return {
      ok: problems.length === 0,
      records: ledger.records.length,
      energyWh: session?.complete ? session.energyWh : null,
      problems,
    };
  } catch (e) {
    return {
      ok: false,
      records: 0,
      energyWh: null,
      problems: [`verification failed: ${(e as Error).message}`],
    };
  }
}
