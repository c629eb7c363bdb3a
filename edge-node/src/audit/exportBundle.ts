import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import type { AuditBundle, BundleItem, ClaimedSession, JournalEntry } from "@chargemesh/shared-model";
import { encodeBundleItem } from "@chargemesh/shared-model";
import type { LedgerStore } from "../ledger/ledgerStore.js";

export interface BundleSource {
  readonly siteId: string;
  readonly operatorKeys: Record<string, Uint8Array>;
  readonly meterCertificates: Record<string, Uint8Array[]>;
  readonly ledger: LedgerStore;
  readonly sessions: Iterable<JournalEntry>;
}

/** The claim a site makes for one journal entry (every entry, those that never charged included). */
function claimOf(s: JournalEntry): ClaimedSession | null {
  return {
    sessionId: s.sessionId,
    stallId: s.stallId,
    meterId: s.meterId,
    contractId: s.contractId,
    state: s.state,
    energyWh: s.begin && s.end ? s.end.registerWh - s.begin.registerWh : null,
  };
}

/**
 * A bundle's items in container order (docs/auditing.md "Bundle container"), read lazily from the
 * store: records by meter, then seq, as the store yields them. Holds no more than one record at a time.
 */
export function* bundleItemsOf(src: BundleSource, createdAtMs: number): Generator<BundleItem> {
  yield { kind: "header", siteId: src.siteId, createdAtMs };
  for (const [keyId, k] of Object.entries(src.operatorKeys))
    yield { kind: "operatorKey", keyId, publicKey: new Uint8Array(k) };
  for (const c of Object.values(src.meterCertificates).flat())
    yield { kind: "certificate", bytes: new Uint8Array(c) };
  let records = 0;
  for (const m of [...src.ledger.meters()].sort()) {
    for (const bytes of src.ledger.records(m)) {
      records++;
      yield { kind: "record", bytes };
    }
  }
  let claims = 0;
  for (const s of src.sessions) {
    const claim = claimOf(s);
    if (!claim) continue;
    claims++;
    yield { kind: "claim", claim };
  }
  yield { kind: "end", records, claims };
}

/** Builds an in-memory bundle (tests, small sites). For large ledgers use `writeAuditBundle`. */
export function buildAuditBundle(src: BundleSource, createdAtMs: number): AuditBundle {
  const b = {
    operatorKeys: [] as [string, Uint8Array][],
    certificates: [] as Uint8Array[],
    records: [] as Uint8Array[],
    sessions: [] as ClaimedSession[],
  };
  for (const item of bundleItemsOf(src, createdAtMs)) {
    if (item.kind === "operatorKey") b.operatorKeys.push([item.keyId, item.publicKey]);
    else if (item.kind === "certificate") b.certificates.push(item.bytes);
    else if (item.kind === "record") b.records.push(item.bytes);
    else if (item.kind === "claim") b.sessions.push(item.claim);
  }
  return { version: 2, siteId: src.siteId, createdAtMs, ...b };
}

const FLUSH_BYTES = 1 << 20;

/**
 * Streams a bundle to `file` in bounded memory (a temp file, fsynced, renamed into place, so a crash
 * never leaves a cut bundle under the name). Resolves with the counts. Throws on an I/O error.
 */
export function writeAuditBundle(
  src: BundleSource,
  createdAtMs: number,
  file: string,
): { records: number; claims: number; bytes: number } {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let counts = { records: 0, claims: 0 };
  const flush = () => {
    writeSync(fd, Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
  };
  try {
    for (const item of bundleItemsOf(src, createdAtMs)) {
      if (item.kind === "end") counts = { records: item.records, claims: item.claims };
      const framed = encodeBundleItem(item);
      pending.push(framed);
      pendingBytes += framed.length;
      bytes += framed.length;
      if (pendingBytes >= FLUSH_BYTES) flush();
    }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return { ...counts, bytes };
}
