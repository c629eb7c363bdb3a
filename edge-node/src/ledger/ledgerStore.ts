import type { MeterId, SessionId } from "@chargemesh/shared-model";

/**
 * Durable storage of a site's shipped signed meter records (the ledger segments). `append` resolves only
 * when the record is on disk; it rejects for an existing (meter, seq) holding different bytes.
 */
export interface LedgerStore {
  append(meterId: MeterId, seq: number, shipped: Uint8Array): Promise<void>;
  /** The record with the highest seq for the meter, or null for a meter that never wrote. */
  last(meterId: MeterId): Uint8Array | null;
  /** Every record of the meter in seq order. */
  records(meterId: MeterId): Iterable<Uint8Array>;
  /** Sequence numbers of the records that carry this session, by meter (recovery after a crash). */
  sessionRecords(sessionId: SessionId): Iterable<Uint8Array>;
  meters(): Iterable<MeterId>;
}
