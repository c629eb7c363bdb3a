import * as A from "@automerge/automerge";
import type { Ed25519, Writer } from "@chargemesh/shared-model";
import {
  WriterDirectory,
  decodeSignedRecord,
  isFailing,
  ownerView,
  verifyChains,
} from "@chargemesh/shared-model";
import type { DamagedDocument } from "./storeIntegrity.js";

/** What the site holds besides the damaged document, to judge a copy by. */
export interface CopyCheckContext {
  readonly siteId: string;
  /** The site as a writer: every change of a copy must carry its tag. */
  readonly writer: Writer;
  /** The meter's other records the site holds (live segments in memory, readable archive files). */
  readonly otherRecords: (meterId: string) => readonly Uint8Array[];
  readonly certificates: (meterId: string) => readonly Uint8Array[];
  readonly operatorKeys: ReadonlyMap<string, Uint8Array>;
  readonly ed: Pick<Ed25519, "verify">;
}

/**
 * Decides whether a cloud peer's copy may replace a damaged document: it loads; every change in it was
 * written by this site; it contains every change the site still holds undamaged (and, for an archive
 * file, the heads its sidecar recorded); it is the document the root indexes under that key; and for
 * a ledger segment, every record in it is this meter's and the meter's chain (the copy with every
 * other record the site holds) verifies, signatures and hash links, with no failing finding that
 * touches the copy's records. Returns the loaded copy or why not. Never throws on hostile bytes.
 */
export function checkRepairCopy(
  d: DamagedDocument,
  bytes: Uint8Array,
  ctx: CopyCheckContext,
): { ok: true; doc: A.Doc<unknown> } | { ok: false; why: string } {
  let doc: A.Doc<unknown>;
  try {
    doc = A.load(bytes);
  } catch (e) {
    return { ok: false, why: `the copy does not load: ${(e as Error).message}` };
  }
  // The write guard's rule: a change with operations by anyone but this site (or building on one) is foreign.
  const directory = new WriterDirectory();
  directory.register(ctx.writer);
  const { foreign } = ownerView(doc, { side: "site", siteId: ctx.siteId }, directory);
  if (foreign.length > 0)
    return {
      ok: false,
      why: `the copy holds ${foreign.length} change(s) not written by this site (actor ${foreign[0]!.actor})`,
    };
  if (d.held) {
    const held = A.load(d.held);
    if (!A.hasHeads(doc, A.getHeads(held)))
      return { ok: false, why: "the copy lacks changes the site still holds undamaged" };
  }
  if (d.heads && d.heads.length > 0 && !A.hasHeads(doc, [...d.heads]))
    return { ok: false, why: "the copy lacks the heads the archive file's checksum sidecar recorded" };
  const body = doc as {
    meterId?: unknown;
    day?: unknown;
    siteId?: unknown;
    records?: Record<string, unknown>;
  };
  const [field, ...rest] = d.key.split("/");
  if (field === "journals") {
    if (body.day !== rest[0] || body.siteId !== ctx.siteId)
      return { ok: false, why: `the copy is not the day journal ${rest[0]} of ${ctx.siteId}` };
    return { ok: true, doc };
  }
  const meterId = rest.slice(0, -1).join("/");
  if (field !== "segments" || body.meterId !== meterId || body.day !== rest.at(-1))
    return { ok: false, why: `the copy is not the ledger segment ${d.key}` };
  const records: Uint8Array[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const value of Object.values(body.records ?? {})) {
    if (!(value instanceof Uint8Array))
      return { ok: false, why: "the copy holds a record that is not bytes" };
    const r = decodeSignedRecord(value);
    if (!r.ok) return { ok: false, why: `the copy holds a record that does not decode: ${r.error.message}` };
    if (r.value.body.meterId !== meterId)
      return { ok: false, why: `the copy holds a record of meter ${r.value.body.meterId}` };
    lo = Math.min(lo, r.value.body.seq);
    hi = Math.max(hi, r.value.body.seq);
    records.push(value);
  }
  if (records.length === 0) return { ok: true, doc };
  const report = verifyChains(
    {
      certificates: ctx.certificates(meterId),
      operatorKeys: ctx.operatorKeys,
      records: [...ctx.otherRecords(meterId), ...records],
    },
    ctx.ed,
  );
  // A gap elsewhere in the chain (another piece still damaged, a day not loaded) says nothing about the copy.
  const touches = (from: number, to: number) => from <= hi + 1 && to >= lo - 1;
  const failing = report.findings.filter(
    (f) =>
      isFailing(f) &&
      !(f.code === "sequence_gap" && f.seq !== undefined && !touches(f.seq, f.toSeq ?? f.seq)),
  );
  if (failing.length > 0)
    return {
      ok: false,
      why: `the meter's chain does not verify with the copy: ${failing[0]!.code}: ${failing[0]!.message}`,
    };
  return { ok: true, doc };
}
