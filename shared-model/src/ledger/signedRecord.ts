import { Encoder } from "cbor-x";
import { sha256 } from "@noble/hashes/sha2.js";
import type { MeterId, SessionId, StallId } from "../ids.js";
import { meterId as toMeterId, sessionId as toSessionId, stallId as toStallId } from "../ids.js";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { MeterRecordBody, RecordKind, SignedMeterRecord } from "./meterRecordTypes.js";

/**
 * Canonical positional CBOR for signed meter records.
 *
 * body    = [version, meterId, seq, prevHash(32 bytes), meterTimeMs, registerWh, stallId,
 *            sessionId|null, kind, status, meterPayload|null]
 * shipped = [bodyBytes, signature(64 bytes)]
 *
 * Integers use the shortest CBOR head (values >= 2^32 the 8-byte head), byte strings are plain major
 * type 2, text is UTF-8. A decoder accepts bytes only if re-encoding them gives the same bytes, so
 * every record has exactly one encoding and signed bytes are never re-encoded.
 */
const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: false, useFloat32: 0 });

export const RECORD_KINDS: readonly RecordKind[] = ["boot", "begin", "checkpoint", "end", "fault"];
const MAX_RECORD_BYTES = 64 * 1024;

const cborInt = (n: number): number | bigint => (n >= 2 ** 32 ? BigInt(n) : n);

function bodyArray(b: MeterRecordBody): unknown[] {
  return [
    b.version,
    b.meterId,
    cborInt(b.seq),
    b.prevHash,
    cborInt(b.meterTimeMs),
    cborInt(b.registerWh),
    b.stallId,
    b.sessionId,
    RECORD_KINDS.indexOf(b.kind),
    cborInt(b.status),
    b.meterPayload,
  ];
}

function checkBody(b: MeterRecordBody): void {
  const fail = (m: string) => {
    throw new ChargemeshError("invalid_input", `meter record: ${m}`);
  };
  if (b.version !== 1) fail("version must be 1");
  for (const [name, v] of [
    ["seq", b.seq],
    ["meterTimeMs", b.meterTimeMs],
    ["registerWh", b.registerWh],
    ["status", b.status],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) fail(`${name} must be a non-negative safe integer`);
  }
  if (!(b.prevHash instanceof Uint8Array) || b.prevHash.length !== 32) fail("prevHash must be 32 bytes");
  if (!RECORD_KINDS.includes(b.kind)) fail(`unknown kind ${String(b.kind)}`);
  if (b.meterPayload !== null && !(b.meterPayload instanceof Uint8Array))
    fail("meterPayload must be bytes or null");
}

/** Encodes a record body canonically; throws ChargemeshError("invalid_input") for a malformed body. */
export function encodeRecordBody(body: MeterRecordBody): Uint8Array {
  checkBody(body);
  return new Uint8Array(codec.encode(bodyArray(body)));
}

/** Encodes the shipped form `[bodyBytes, signature]`; throws for a signature that is not 64 bytes. */
export function encodeSignedRecord(r: { bodyBytes: Uint8Array; signature: Uint8Array }): Uint8Array {
  if (r.signature.length !== 64)
    throw new ChargemeshError("invalid_input", "Ed25519 signature must be 64 bytes");
  return new Uint8Array(codec.encode([r.bodyBytes, r.signature]));
}

/** SHA-256 of a record's shipped bytes: the next record's `prevHash`. */
export function recordHash(shipped: Uint8Array): Uint8Array {
  return sha256(shipped);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function decodeCbor(bytes: Uint8Array): Result<unknown> {
  try {
    return ok(codec.decode(bytes));
  } catch (e) {
    return err(new ChargemeshError("malformed_cbor", `not CBOR: ${(e as Error).message}`));
  }
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
/** A non-negative safe integer from a CBOR unsigned (cbor-x gives bigint for 8-byte heads), else null. */
function asUint(v: unknown): number | null {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v === "bigint") return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
  return null;
}

/** Decodes a record body; never throws: malformed or non-canonical bytes give an error value. */
export function decodeRecordBody(bodyBytes: Uint8Array): Result<MeterRecordBody> {
  if (!isBytes(bodyBytes) || bodyBytes.length > MAX_RECORD_BYTES)
    return err(new ChargemeshError("malformed_cbor", "record body missing or too large"));
  const decoded = decodeCbor(bodyBytes);
  if (!decoded.ok) return decoded;
  const a = decoded.value;
  const bad = (m: string) => err(new ChargemeshError("malformed_cbor", `record body: ${m}`));
  if (!Array.isArray(a) || a.length !== 11) return bad("not an 11-element array");
  const [
    version,
    meter,
    rawSeq,
    prevHash,
    rawTime,
    rawRegister,
    stall,
    session,
    kindCode,
    rawStatus,
    payload,
  ] = a as unknown[];
  const [seq, time, register, status] = [
    asUint(rawSeq),
    asUint(rawTime),
    asUint(rawRegister),
    asUint(rawStatus),
  ];
  if (version !== 1) return bad(`unsupported version ${String(version)}`);
  if (typeof meter !== "string" || typeof stall !== "string") return bad("meter and stall must be text");
  if (seq === null || time === null || register === null || status === null)
    return bad("seq, time, register and status must be non-negative integers");
  if (!isBytes(prevHash) || prevHash.length !== 32) return bad("prevHash must be 32 bytes");
  if (session !== null && typeof session !== "string") return bad("session must be text or null");
  if (typeof kindCode !== "number" || !Number.isInteger(kindCode) || RECORD_KINDS[kindCode] === undefined)
    return bad("unknown kind");
  if (payload !== null && !isBytes(payload)) return bad("meter payload must be bytes or null");
  let body: MeterRecordBody;
  try {
    body = {
      version: 1,
      meterId: toMeterId(meter) as MeterId,
      seq,
      prevHash: new Uint8Array(prevHash),
      meterTimeMs: time,
      registerWh: register,
      stallId: toStallId(stall) as StallId,
      sessionId: session === null ? null : (toSessionId(session) as SessionId),
      kind: RECORD_KINDS[kindCode]!,
      status,
      meterPayload: payload === null ? null : new Uint8Array(payload),
    };
  } catch (e) {
    return bad((e as Error).message);
  }
  if (!sameBytes(encodeRecordBody(body), bodyBytes)) return bad("non-canonical encoding");
  return ok(body);
}

/** Decodes a shipped record; never throws. Checks canonical form; does not check the signature. */
export function decodeSignedRecord(shipped: Uint8Array): Result<SignedMeterRecord> {
  if (!isBytes(shipped) || shipped.length > MAX_RECORD_BYTES)
    return err(new ChargemeshError("malformed_cbor", "record missing or too large"));
  const decoded = decodeCbor(shipped);
  if (!decoded.ok) return decoded;
  const a = decoded.value;
  if (!Array.isArray(a) || a.length !== 2 || !isBytes(a[0]) || !isBytes(a[1]) || a[1].length !== 64) {
    return err(new ChargemeshError("malformed_cbor", "record: expected [bodyBytes, 64-byte signature]"));
  }
  const bodyBytes = new Uint8Array(a[0]);
  const signature = new Uint8Array(a[1]);
  if (!sameBytes(encodeSignedRecord({ bodyBytes, signature }), shipped))
    return err(new ChargemeshError("malformed_cbor", "record: non-canonical encoding"));
  const body = decodeRecordBody(bodyBytes);
  if (!body.ok) return body;
  return ok({ body: body.value, bodyBytes, signature });
}
