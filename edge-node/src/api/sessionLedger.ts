import { decodeSignedRecord } from "@chargemesh/shared-model";
import type { JournalEntry, MeterId } from "@chargemesh/shared-model";
import type { SessionLedger } from "@chargemesh/shared-model/contracts";
import type { LedgerStore } from "../ledger/ledgerStore.js";

/** Where a session's signed records and their certificates come from. */
export interface SessionLedgerSource {
  readonly store: LedgerStore;
  /** The meter's certificates as the site root holds them. */
  certificates(meterId: MeterId): readonly Uint8Array[];
  /** The operator keys that certify meters, by key ID. */
  operatorKeys(): readonly (readonly [string, Uint8Array])[];
}

/** The most records one answer carries (a one-hour session with 60 s checkpoints has ~62). */
export const MAX_SESSION_RECORDS = 2_000;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * The contiguous slice of a session's meter chain from its begin record to its end (or to the
 * meter's latest record while it runs), at most MAX_SESSION_RECORDS, with the meter's certificates
 * and the operator keys: what a browser needs to verify the session itself. Null before the begin.
 */
export function sessionLedgerSlice(entry: JournalEntry, src: SessionLedgerSource): SessionLedger | null {
  if (entry.begin === null) return null;
  const fromSeq = entry.begin.seq;
  const lastSeq = entry.end?.seq ?? Number.MAX_SAFE_INTEGER;
  const records: string[] = [];
  let toSeq = fromSeq;
  let truncated = false;
  for (const shipped of src.store.records(entry.meterId)) {
    const r = decodeSignedRecord(shipped);
    if (!r.ok) continue;
    const seq = r.value.body.seq;
    if (seq < fromSeq || seq > lastSeq) continue;
    if (records.length >= MAX_SESSION_RECORDS) {
      truncated = true;
      break;
    }
    records.push(b64(shipped));
    toSeq = seq;
  }
  return {
    meterId: entry.meterId,
    fromSeq,
    toSeq,
    records,
    certificates: src.certificates(entry.meterId).map(b64),
    operatorKeys: src.operatorKeys().map(([id, key]) => [id, b64(key)] as [string, string]),
    truncated,
  };
}
