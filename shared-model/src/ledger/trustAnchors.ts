import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";

/**
 * What an auditor trusts, obtained from the operator outside any bundle (docs/auditing.md "Trust
 * anchors"): the operator keys that certify meter keys, optionally the operator's meter roster and
 * the longest time a meter may go without a signed record (its idle-record interval plus slack).
 */
export interface TrustAnchors {
  /** Operator key ID -> raw 32-byte Ed25519 public key. */
  readonly operatorKeys: ReadonlyMap<string, Uint8Array>;
  /** Meters the operator registered for the site; each must appear in a bundle. null: not checked. */
  readonly meters: ReadonlySet<string> | null;
  /** A larger stretch of meter time without a record is a finding. null: time coverage not checked. */
  readonly maxRecordGapMs: number | null;
  /**
   * Chain heads the operator has seen (e.g. what its cloud received by sync): each meter's chain in a
   * bundle must reach `seq` with exactly this record hash. Absent or null: not checked.
   */
  readonly heads?: ReadonlyMap<string, ChainHead> | null;
}

/** A meter chain's head: its highest seq and the SHA-256 of that record's shipped bytes. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: Uint8Array;
}

/** The JSON file format (`--trust <file>`), see docs/auditing.md. */
export interface TrustAnchorsFile {
  readonly format: "chargemesh-trust-anchors";
  readonly version: 1;
  readonly operatorKeys: Record<string, string>;
  readonly meters?: string[];
  readonly maxRecordGapMs?: number;
  readonly heads?: Record<string, { seq: number; hash: string }>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const MAX_FILE_CHARS = 1 << 20;

const hexToBytes = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => Number.parseInt(x, 16));
const bytesToHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Parses a trust anchors file; never throws: anything malformed is an `invalid_input` error value. */
export function parseTrustAnchors(text: string): Result<TrustAnchors> {
  const bad = (m: string) => err(new ChargemeshError("invalid_input", `trust anchors: ${m}`));
  if (typeof text !== "string" || text.length > MAX_FILE_CHARS) return bad("not text or larger than 1 MiB");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad("not JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return bad("not a JSON object");
  const f = v as Record<string, unknown>;
  if (f.format !== "chargemesh-trust-anchors" || f.version !== 1)
    return bad('expected "format": "chargemesh-trust-anchors", "version": 1');
  if (typeof f.operatorKeys !== "object" || f.operatorKeys === null || Array.isArray(f.operatorKeys))
    return bad("operatorKeys must be an object");
  const operatorKeys = new Map<string, Uint8Array>();
  for (const [id, hex] of Object.entries(f.operatorKeys as Record<string, unknown>)) {
    if (typeof hex !== "string" || !HEX64.test(hex))
      return bad(`operator key ${id} must be 64 lowercase hex digits (a raw Ed25519 public key)`);
    operatorKeys.set(id, hexToBytes(hex));
  }
  if (operatorKeys.size === 0) return bad("no operator key");
  let meters: Set<string> | null = null;
  if (f.meters !== undefined) {
    if (!Array.isArray(f.meters) || !f.meters.every((m) => typeof m === "string"))
      return bad("meters must be a list of meter IDs");
    meters = new Set(f.meters as string[]);
  }
  let maxRecordGapMs: number | null = null;
  if (f.maxRecordGapMs !== undefined) {
    if (
      typeof f.maxRecordGapMs !== "number" ||
      !Number.isSafeInteger(f.maxRecordGapMs) ||
      f.maxRecordGapMs <= 0
    )
      return bad("maxRecordGapMs must be a positive integer");
    maxRecordGapMs = f.maxRecordGapMs;
  }
  let heads: Map<string, ChainHead> | null = null;
  if (f.heads !== undefined) {
    if (typeof f.heads !== "object" || f.heads === null || Array.isArray(f.heads))
      return bad("heads must be an object");
    heads = new Map();
    for (const [m, h] of Object.entries(f.heads as Record<string, unknown>)) {
      const head = h as { seq?: unknown; hash?: unknown };
      if (
        typeof h !== "object" ||
        h === null ||
        typeof head.seq !== "number" ||
        !Number.isSafeInteger(head.seq) ||
        head.seq < 0 ||
        typeof head.hash !== "string" ||
        !HEX64.test(head.hash)
      ) {
        return bad(`head of meter ${m} must be {"seq": <integer>, "hash": <64 hex digits>}`);
      }
      heads.set(m, { seq: head.seq, hash: hexToBytes(head.hash) });
    }
  }
  return ok({ operatorKeys, meters, maxRecordGapMs, heads });
}

/** Writes trust anchors as the JSON file `parseTrustAnchors` reads (what an operator publishes). */
export function formatTrustAnchors(a: TrustAnchors): string {
  const file: TrustAnchorsFile = {
    format: "chargemesh-trust-anchors",
    version: 1,
    operatorKeys: Object.fromEntries([...a.operatorKeys].map(([id, k]) => [id, bytesToHex(k)])),
    ...(a.meters ? { meters: [...a.meters].sort() } : {}),
    ...(a.maxRecordGapMs !== null ? { maxRecordGapMs: a.maxRecordGapMs } : {}),
    ...(a.heads
      ? {
          heads: Object.fromEntries(
            [...a.heads]
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([m, h]) => [m, { seq: h.seq, hash: bytesToHex(h.hash) }]),
          ),
        }
      : {}),
  };
  return JSON.stringify(file, null, 2) + "\n";
}
