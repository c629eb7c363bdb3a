import type { MeterId, SessionId, StallId } from "../ids.js";

/**
 * The contract every workspace shares for signed meter records (DESIGN.md "Signed meter records").
 * Encoding, signing and verification live beside this file (signedRecord.ts, signers, chainVerifier.ts).
 */
export type RecordKind = "boot" | "begin" | "checkpoint" | "end" | "fault";

/** Status flags (bit set). */
export const RecordStatus = {
  ok: 0,
  /** Register reading comes from the last known value after a meter fault or a crash recovery. */
  estimated: 1 << 0,
  /** The session was closed by recovery after a controller restart, not by a live stop. */
  recovered: 1 << 1,
  /** The meter reported a fault at the time of this record. */
  meterFault: 1 << 2,
  /** The stall was stopped by a technician. */
  technicianStop: 1 << 3,
} as const;

/** What a record says. All numbers are integers; energy is the cumulative import register in Wh. */
export interface MeterRecordBody {
  readonly version: 1;
  readonly meterId: MeterId;
  /** Gapless per meter, starting at 0 (the boot/genesis record). */
  readonly seq: number;
  /** SHA-256 of the previous record's signed bytes (body + signature); 32 zero bytes for seq 0. */
  readonly prevHash: Uint8Array;
  /** Meter time, ms since the Unix epoch. */
  readonly meterTimeMs: number;
  /** Cumulative import register, Wh; never decreases along a chain. */
  readonly registerWh: number;
  readonly stallId: StallId;
  readonly sessionId: SessionId | null;
  readonly kind: RecordKind;
  /** Bit set of `RecordStatus`. */
  readonly status: number;
  /** A certified meter's own signed payload (e.g. OCMF), carried byte for byte; null for plain meters. */
  readonly meterPayload: Uint8Array | null;
}

/** A record as shipped: the canonical body bytes and the Ed25519 signature over exactly those bytes. */
export interface SignedMeterRecord {
  readonly body: MeterRecordBody;
  /** Canonical positional CBOR of `body`; what was signed. Never re-encoded after signing. */
  readonly bodyBytes: Uint8Array;
  /** 64-byte Ed25519 signature. */
  readonly signature: Uint8Array;
}

/** The key under which a record is stored in a ledger segment document: `meter/seq`. */
export function ledgerKey(meter: MeterId, seq: number): string {
  return `${meter}/${seq}`;
}
