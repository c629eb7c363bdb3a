import type { MeterId, SessionId, StallId } from "../ids.js";
import type { Ed25519 } from "./ed25519.js";
import type { MeterCertificate, SigningLocation } from "./meterCertificate.js";
import { verifyMeterCertificate } from "./meterCertificate.js";
import type { MeterRecordBody } from "./meterRecordTypes.js";
import { decodeSignedRecord, recordHash } from "./signedRecord.js";
import { verifyOcmf } from "./ocmfPayload.js";

/** Stable finding codes. `duplicate_record` is informational; every other code fails verification. */
export type FindingCode =
  | "malformed_record"
  | "bad_certificate"
  | "unknown_meter"
  | "bad_signature"
  | "duplicate_record"
  | "equivocation"
  | "sequence_gap"
  | "broken_hash_link"
  | "register_regressed"
  | "meter_time_regressed"
  | "bad_meter_payload"
  | "session_incomplete"
  | "energy_mismatch"
  | "total_mismatch";

export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
  readonly meterId?: string;
  readonly seq?: number;
  /** Position of the record in the input list, when the finding concerns one record. */
  readonly index?: number;
  readonly sessionId?: string;
}

export interface MeterSummary {
  readonly meterId: MeterId;
  readonly records: number;
  readonly lastSeq: number;
  /** Register at the lowest verified seq (the start of the delivered-energy window). */
  readonly firstRegisterWh: number;
  readonly lastRegisterWh: number;
  /** How the meter's key was certified, and where its records are signed. */
  readonly certifiedBy: "operator-certificate" | "none";
  readonly signingLocation: SigningLocation | null;
}

export interface SessionEnergy {
  readonly sessionId: SessionId;
  readonly meterId: MeterId;
  readonly stallId: StallId;
  readonly beginSeq: number | null;
  readonly endSeq: number | null;
  readonly beginWh: number | null;
  /** Register at the end record, or at the last record of the session when it has no end. */
  readonly lastWh: number | null;
  readonly energyWh: number;
  readonly complete: boolean;
}

export interface ChainReport {
  readonly ok: boolean;
  readonly findings: readonly Finding[];
  readonly meters: readonly MeterSummary[];
  readonly sessions: readonly SessionEnergy[];
}

export interface ChainInput {
  readonly certificates: readonly Uint8Array[];
  readonly operatorKeys: ReadonlyMap<string, Uint8Array>;
  readonly records: readonly Uint8Array[];
}

interface Decoded {
  readonly index: number;
  readonly shipped: Uint8Array;
  readonly body: MeterRecordBody;
  readonly bodyBytes: Uint8Array;
  readonly signature: Uint8Array;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Verifies meter chains: certificates, signatures, gapless sequence numbers from 0, hash links,
 * monotonic registers and times, equivocation; and derives each session's energy from its signed
 * begin and end registers. Never throws on hostile bytes: every problem is a finding.
 */
export function verifyChains(input: ChainInput, ed: Ed25519): ChainReport {
  const findings: Finding[] = [];
  const keys = new Map<MeterId, MeterCertificate[]>();
  input.certificates.forEach((shipped, i) => {
    const c = verifyMeterCertificate(shipped, input.operatorKeys, ed);
    if (!c.ok) findings.push({ code: "bad_certificate", message: `certificate #${i}: ${c.error.message}`, index: i });
    else keys.set(c.value.body.meterId, [...(keys.get(c.value.body.meterId) ?? []), c.value]);
  });

  const byMeter = new Map<MeterId, Map<number, Decoded[]>>();
  input.records.forEach((shipped, index) => {
    const r = decodeSignedRecord(shipped);
    if (!r.ok) return void findings.push({ code: "malformed_record", message: `record #${index}: ${r.error.message}`, index });
    const { body } = r.value;
    const seqs = byMeter.get(body.meterId) ?? new Map<number, Decoded[]>();
    byMeter.set(body.meterId, seqs);
    const same = seqs.get(body.seq) ?? [];
    seqs.set(body.seq, same);
    if (same.some((d) => sameBytes(d.shipped, shipped))) {
      findings.push({ code: "duplicate_record", message: `record #${index} repeats meter ${body.meterId} seq ${body.seq} byte for byte`, meterId: body.meterId, seq: body.seq, index });
      return;
    }
    same.push({ index, shipped, ...r.value });
  });

  const meters: MeterSummary[] = [];
  const sessions = new Map<SessionId, { meterId: MeterId; stallId: StallId; begin: MeterRecordBody | null; end: MeterRecordBody | null; last: MeterRecordBody | null }>();
  for (const [meterId, seqs] of [...byMeter].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const certs = keys.get(meterId) ?? [];
    if (certs.length === 0) findings.push({ code: "unknown_meter", message: `meter ${meterId} has no valid certificate: its records cannot be trusted`, meterId });
    const verified = new Map<number, Decoded>();
    for (const [seq, variants] of seqs) {
      const good = variants.filter((d) => {
        const okSig = certs.some((c) => ed.verify(d.signature, d.bodyBytes, c.body.publicKey));
        if (!okSig && certs.length > 0) findings.push({ code: "bad_signature", message: `meter ${meterId} seq ${seq} (record #${d.index}): signature does not verify with the meter's certified key`, meterId, seq, index: d.index });
        return okSig;
      });
      if (good.length > 1) {
        findings.push({ code: "equivocation", message: `meter ${meterId} seq ${seq}: ${good.length} different validly signed records (#${good.map((g) => g.index).join(", #")})`, meterId, seq, index: good[1]!.index });
      }
      if (good.length === 1) {
        verified.set(seq, good[0]!);
        const payload = good[0]!.body.meterPayload;
        if (payload !== null) {
          const key = certs.find((c) => c.body.payloadPublicKey !== null)?.body.payloadPublicKey ?? null;
          const check = key ? verifyOcmf(payload, key, good[0]!.body.registerWh) : null;
          if (!check?.ok) {
            const why = check ? check.error.message : "the meter's certificate names no payload key";
            findings.push({ code: "bad_meter_payload", message: `meter ${meterId} seq ${seq} (record #${good[0]!.index}): ${why}`, meterId, seq, index: good[0]!.index });
          }
        }
      }
    }
    const maxSeq = Math.max(...seqs.keys());
    let prev: Decoded | null = null;
    for (let seq = 0; seq <= maxSeq; seq++) {
      const d = verified.get(seq);
      if (!d) {
        if (!seqs.has(seq)) findings.push({ code: "sequence_gap", message: `meter ${meterId}: record seq ${seq} is missing`, meterId, seq });
        prev = null;
        continue;
      }
      const expected = seq === 0 ? new Uint8Array(32) : prev ? recordHash(prev.shipped) : null;
      if (expected && !sameBytes(expected, d.body.prevHash)) {
        findings.push({ code: "broken_hash_link", message: `meter ${meterId} seq ${seq} (record #${d.index}) does not link to seq ${seq - 1}`, meterId, seq, index: d.index });
      }
      if (prev && d.body.registerWh < prev.body.registerWh) {
        findings.push({ code: "register_regressed", message: `meter ${meterId} seq ${seq}: register ${d.body.registerWh} Wh < ${prev.body.registerWh} Wh at seq ${seq - 1}`, meterId, seq, index: d.index });
      }
      if (prev && d.body.meterTimeMs < prev.body.meterTimeMs) {
        findings.push({ code: "meter_time_regressed", message: `meter ${meterId} seq ${seq}: meter time goes backwards`, meterId, seq, index: d.index });
      }
      if (d.body.sessionId) {
        const s = sessions.get(d.body.sessionId) ?? { meterId, stallId: d.body.stallId, begin: null, end: null, last: null };
        sessions.set(d.body.sessionId, s);
        if (d.body.kind === "begin" && !s.begin) s.begin = d.body;
        if (d.body.kind === "end" && !s.end) s.end = d.body;
        s.last = d.body;
      }
      prev = d;
    }
    const last = verified.get(maxSeq);
    const first = verified.get(Math.min(...verified.keys()));
    meters.push({
      meterId,
      records: verified.size,
      lastSeq: maxSeq,
      firstRegisterWh: first?.body.registerWh ?? 0,
      lastRegisterWh: last?.body.registerWh ?? 0,
      certifiedBy: certs.length > 0 ? "operator-certificate" : "none",
      signingLocation: certs.at(-1)?.body.signingLocation ?? null,
    });
  }

  const sessionList: SessionEnergy[] = [...sessions].map(([sessionId, s]) => {
    const lastWh = (s.end ?? s.last)?.registerWh ?? null;
    const beginWh = s.begin?.registerWh ?? null;
    return {
      sessionId,
      meterId: s.meterId,
      stallId: s.stallId,
      beginSeq: s.begin?.seq ?? null,
      endSeq: s.end?.seq ?? null,
      beginWh,
      lastWh,
      energyWh: beginWh !== null && lastWh !== null ? lastWh - beginWh : 0,
      complete: s.begin !== null && s.end !== null,
    };
  });
  return { ok: findings.every((f) => f.code === "duplicate_record"), findings, meters, sessions: sessionList };
}
