import { encodeRecordBody, encodeSignedRecord, RecordStatus, stallId } from "@chargemesh/shared-model";
import type { MeterId, SessionId } from "@chargemesh/shared-model";

/** A well-formed shipped record (the signature bytes are a fixed filler: stores keep bytes, they do not verify). */
export function recordBytes(meter: MeterId, seq: number, session: SessionId | null): Uint8Array {
  const body = encodeRecordBody({
    version: 1,
    meterId: meter,
    seq,
    prevHash: new Uint8Array(32),
    meterTimeMs: 1_700_000_000_000 + seq * 60_000,
    registerWh: 1_000 + seq * 10,
    stallId: stallId("stall-1"),
    sessionId: session,
    kind: session ? "checkpoint" : "boot",
    status: RecordStatus.ok,
    meterPayload: null,
  });
  return encodeSignedRecord({ bodyBytes: body, signature: new Uint8Array(64).fill(seq % 251) });
}
