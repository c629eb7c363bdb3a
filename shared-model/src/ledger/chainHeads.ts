import type { ChainHead } from "./trustAnchors.js";
import { decodeSignedRecord, recordHash } from "./signedRecord.js";

/**
 * Each meter's head (highest seq, hash of that record) among `records`: what an operator that
 * received a site's records publishes beside its trust anchors, so an auditor can tell a bundle
 * that stops short of it. Undecodable records are skipped. Never throws.
 */
export function chainHeads(records: Iterable<Uint8Array>): Map<string, ChainHead> {
  const heads = new Map<string, ChainHead>();
  for (const shipped of records) {
    const r = decodeSignedRecord(shipped);
    if (!r.ok) continue;
    const had = heads.get(r.value.body.meterId);
    if (!had || had.seq < r.value.body.seq)
      heads.set(r.value.body.meterId, { seq: r.value.body.seq, hash: recordHash(shipped) });
  }
  return heads;
}
