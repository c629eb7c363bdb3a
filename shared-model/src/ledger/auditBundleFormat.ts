import { Encoder } from "cbor-x";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { ClaimedSession } from "./ledgerVerifier.js";

/**
 * The audit bundle container, version 2 (docs/auditing.md "Bundle container"): a sequence of CBOR
 * byte strings, each holding one item, a CBOR array whose first element names its kind:
 *
 *   [0, "chargemesh-audit-bundle", 2, siteId, createdAtMs]   header, first
 *   [1, operatorKeyId, publicKey]                            operator keys the site asserts
 *   [2, certificate]                                         meter certificates
 *   [3, record]                                              shipped records, by meter then seq
 *   [4, sessionId, stallId, meterId, contractId|null, state, energyWh|null]   claims
 *   [5, recordCount, claimCount]                             end, last
 *
 * The byte-string framing lets a reader find each item's end from its head alone, so a bundle of any
 * size is read in bounded memory; an item is at most MAX_ITEM_BYTES.
 */
export type BundleItem =
  | { readonly kind: "header"; readonly siteId: string; readonly createdAtMs: number }
  | { readonly kind: "operatorKey"; readonly keyId: string; readonly publicKey: Uint8Array }
  | { readonly kind: "certificate"; readonly bytes: Uint8Array }
  | { readonly kind: "record"; readonly bytes: Uint8Array }
  | { readonly kind: "claim"; readonly claim: ClaimedSession }
  | { readonly kind: "end"; readonly records: number; readonly claims: number };

export const BUNDLE_MAGIC = "chargemesh-audit-bundle";
export const MAX_ITEM_BYTES = 1 << 20;
const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: false, useFloat32: 0 });
const int = (n: number): number | bigint => (n >= 2 ** 32 ? BigInt(n) : n);

function itemArray(item: BundleItem): unknown[] {
  switch (item.kind) {
    case "header":
      return [0, BUNDLE_MAGIC, 2, item.siteId, int(item.createdAtMs)];
    case "operatorKey":
      return [1, item.keyId, item.publicKey];
    case "certificate":
      return [2, item.bytes];
    case "record":
      return [3, item.bytes];
    case "claim": {
      const c = item.claim;
      return [
        4,
        c.sessionId,
        c.stallId,
        c.meterId,
        c.contractId,
        c.state,
        c.energyWh === null ? null : int(c.energyWh),
      ];
    }
    case "end":
      return [5, int(item.records), int(item.claims)];
  }
}

/** One item, framed (a CBOR byte string holding the item's CBOR). */
export function encodeBundleItem(item: BundleItem): Uint8Array {
  const body = codec.encode(itemArray(item));
  const n = body.length;
  const head =
    n < 24
      ? [0x40 + n]
      : n < 256
        ? [0x58, n]
        : n < 65536
          ? [0x59, n >> 8, n & 255]
          : [0x5a, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(body, head.length);
  return out;
}

const asUint = (v: unknown): number | null =>
  typeof v === "number"
    ? Number.isSafeInteger(v) && v >= 0
      ? v
      : null
    : typeof v === "bigint" && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : null;
const isText = (v: unknown): v is string => typeof v === "string";
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/** Decodes one item's content (inside its framing); never throws. */
export function decodeBundleItem(content: Uint8Array): Result<BundleItem> {
  const bad = (m: string) => err(new ChargemeshError("malformed_cbor", `bundle item: ${m}`));
  let a: unknown;
  try {
    a = codec.decode(content);
  } catch (e) {
    return bad(`not CBOR (${(e as Error).message})`);
  }
  if (!Array.isArray(a) || a.length === 0) return bad("not a non-empty array");
  const f = a as unknown[];
  switch (f[0]) {
    case 0: {
      const at = asUint(f[4]);
      if (f.length !== 5 || f[1] !== BUNDLE_MAGIC || f[2] !== 2 || !isText(f[3]) || at === null)
        return bad("not a version 2 chargemesh audit bundle header");
      return ok({ kind: "header", siteId: f[3], createdAtMs: at });
    }
    case 1:
      if (f.length !== 3 || !isText(f[1]) || !isBytes(f[2]))
        return bad("operator key: expected [1, keyId, publicKey]");
      return ok({ kind: "operatorKey", keyId: f[1], publicKey: new Uint8Array(f[2]) });
    case 2:
    case 3:
      if (f.length !== 2 || !isBytes(f[1])) return bad("expected [kind, bytes]");
      return ok({ kind: f[0] === 2 ? "certificate" : "record", bytes: new Uint8Array(f[1]) });
    case 4: {
      const [, sessionId, stallId, meterId, contractId, state, rawEnergy] = f;
      const energyWh = rawEnergy === null ? null : asUint(rawEnergy);
      if (
        f.length !== 7 ||
        !isText(sessionId) ||
        !isText(stallId) ||
        !isText(meterId) ||
        !(contractId === null || isText(contractId)) ||
        !isText(state) ||
        (rawEnergy !== null && energyWh === null)
      ) {
        return bad("claim: expected [4, sessionId, stallId, meterId, contractId|null, state, energyWh|null]");
      }
      return ok({ kind: "claim", claim: { sessionId, stallId, meterId, contractId, state, energyWh } });
    }
    case 5: {
      const [records, claims] = [asUint(f[1]), asUint(f[2])];
      if (f.length !== 3 || records === null || claims === null)
        return bad("end: expected [5, recordCount, claimCount]");
      return ok({ kind: "end", records, claims });
    }
    default:
      return bad(`unknown kind ${String(f[0])}`);
  }
}

/**
 * Splits a byte stream into framed items, chunk by chunk, holding at most one item plus a chunk.
 * A bad framing head stops the reader (the rest cannot be framed): `push` reports it once.
 */
export class BundleItemReader {
  private buf = new Uint8Array(0);
  private failed = false;
  /** Bytes consumed so far (for messages). */
  offset = 0;

  /** Feeds a chunk; returns the complete items' contents, and an error once bytes cannot be framed. */
  push(chunk: Uint8Array): { items: Uint8Array[]; error: string | null } {
    if (this.failed) return { items: [], error: null };
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const items: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const frame = readHead(joined, at);
      if (frame === "incomplete") break;
      if (typeof frame === "string") {
        this.failed = true;
        this.buf = new Uint8Array(0);
        return { items, error: `bundle: at byte ${this.offset + at}: ${frame}` };
      }
      if (joined.length < frame.start + frame.length) break;
      items.push(joined.subarray(frame.start, frame.start + frame.length));
      at = frame.start + frame.length;
    }
    this.offset += at;
    this.buf = joined.slice(at);
    return { items, error: null };
  }

  /** Bytes left over at the end of input (a cut item), 0 for a complete stream. */
  leftover(): number {
    return this.failed ? 0 : this.buf.length;
  }
}

function readHead(b: Uint8Array, at: number): { start: number; length: number } | "incomplete" | string {
  if (at >= b.length) return "incomplete";
  const h = b[at]!;
  if (h < 0x40 || h > 0x5a)
    return `expected a CBOR byte string (an item), found head byte 0x${h.toString(16)}`;
  const extra = h < 0x58 ? 0 : 1 << (h - 0x58);
  if (at + 1 + extra > b.length) return "incomplete";
  let length = h < 0x58 ? h - 0x40 : 0;
  for (let i = 0; i < extra; i++) length = length * 256 + b[at + 1 + i]!;
  if (length > MAX_ITEM_BYTES) return `item of ${length} bytes exceeds ${MAX_ITEM_BYTES}`;
  return { start: at + 1 + extra, length };
}
