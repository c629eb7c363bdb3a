import { meterId, newSessionId, siteId, stallId } from "../../src/ids.js";
import type { MeterId, SessionId } from "../../src/ids.js";
import { SeededRandom } from "../../src/clock.js";
import { nobleEd25519 } from "../../src/ledger/nobleEd25519.js";
import { issueMeterCertificate } from "../../src/ledger/meterCertificate.js";
import type { MeterRecordBody, RecordKind } from "../../src/ledger/meterRecordTypes.js";
import {
  decodeSignedRecord,
  encodeRecordBody,
  encodeSignedRecord,
  recordHash,
} from "../../src/ledger/signedRecord.js";
import type { AuditBundle, ClaimedSession } from "../../src/ledger/auditBundle.js";
import type { TrustAnchors } from "../../src/ledger/trustAnchors.js";

/** Idle records every 10 minutes; anchors allow 15. */
export const IDLE_MS = 10 * 60_000;
export const MAX_GAP_MS = 15 * 60_000;
const T0 = Date.UTC(2026, 0, 1);

export interface Fixture {
  readonly bundle: AuditBundle;
  readonly anchors: TrustAnchors;
  readonly meterSeeds: ReadonlyMap<string, Uint8Array>;
  readonly operatorSeed: Uint8Array;
}

/** Signs a body with a meter seed: what a meter (or a forger holding its key) does. */
export function sign(b: MeterRecordBody, seed: Uint8Array): Uint8Array {
  const bodyBytes = encodeRecordBody(b);
  return encodeSignedRecord({ bodyBytes, signature: nobleEd25519.sign(bodyBytes, seed) });
}

export function bodyOf(shipped: Uint8Array): MeterRecordBody {
  const r = decodeSignedRecord(shipped);
  if (!r.ok) throw r.error;
  return r.value.body;
}

/**
 * A small genuine site ledger: `meters` meters, sessions round robin with begin, checkpoints and end,
 * idle records while a meter waits, a last idle record per meter at the end, and the claims.
 */
export function makeFixture(opts: {
  meters: number;
  sessions: number;
  seed: number;
  operatorKeyId?: string;
}): Fixture {
  const rnd = new SeededRandom(opts.seed);
  const operatorSeed = rnd.bytes(32);
  const operatorKeyId = opts.operatorKeyId ?? "op-1";
  const meters = Array.from({ length: opts.meters }, (_, i) => meterId(`m-${i + 1}`));
  const meterSeeds = new Map(meters.map((m) => [m as string, rnd.bytes(32)]));
  const heads = new Map<MeterId, { seq: number; hash: Uint8Array; wh: number; t: number }>();
  const records: Uint8Array[] = [];
  let now = T0;
  const append = (m: MeterId, kind: RecordKind, sessionId: SessionId | null, wh: number) => {
    const h = heads.get(m);
    const i = meters.indexOf(m);
    const body: MeterRecordBody = {
      version: 1,
      meterId: m,
      seq: h ? h.seq + 1 : 0,
      prevHash: h ? h.hash : new Uint8Array(32),
      meterTimeMs: now,
      registerWh: wh,
      stallId: stallId(`s-${i + 1}`),
      sessionId,
      kind,
      status: 0,
      meterPayload: null,
    };
    const shipped = sign(body, meterSeeds.get(m)!);
    records.push(shipped);
    heads.set(m, { seq: body.seq, hash: recordHash(shipped), wh, t: now });
  };
  const advance = (ms: number) => {
    for (let left = ms; left > 0; left -= 60_000) {
      now += Math.min(left, 60_000);
      for (const m of meters)
        if (now - heads.get(m)!.t >= IDLE_MS) append(m, "checkpoint", null, heads.get(m)!.wh);
    }
  };
  for (const m of meters) append(m, "boot", null, rnd.int(0, 100_000));
  const claims: ClaimedSession[] = [];
  for (let s = 0; s < opts.sessions; s++) {
    const m = meters[s % meters.length]!;
    advance(rnd.int(60_000, 20 * 60_000));
    const sessionId = newSessionId(siteId("fixture-site"), now, (n) => rnd.bytes(n));
    const beginWh = heads.get(m)!.wh;
    append(m, "begin", sessionId, beginWh);
    let wh = beginWh;
    for (let k = 0; k < 3; k++) {
      advance(60_000);
      wh += rnd.int(0, 2_000);
      append(m, "checkpoint", sessionId, wh);
    }
    advance(30_000);
    append(m, "end", sessionId, wh);
    claims.push({
      sessionId,
      stallId: `s-${meters.indexOf(m) + 1}`,
      meterId: m,
      contractId: "DE-ABC-C12345678-9",
      state: "completed",
      energyWh: wh - beginWh,
    });
  }
  advance(60_000);
  for (const m of meters) append(m, "checkpoint", null, heads.get(m)!.wh);
  const certificates = meters.map(
    (m) =>
      issueMeterCertificate(
        {
          version: 1,
          meterId: m,
          publicKey: nobleEd25519.publicKey(meterSeeds.get(m)!),
          keyEpoch: 0,
          signingLocation: "site-secure-element",
          issuedAtMs: T0,
          operatorKeyId,
          payloadPublicKey: null,
        },
        operatorSeed,
        nobleEd25519,
      ).shipped,
  );
  const operatorKey = nobleEd25519.publicKey(operatorSeed);
  return {
    bundle: {
      version: 2,
      siteId: "fixture-site",
      createdAtMs: now,
      operatorKeys: [[operatorKeyId, operatorKey]],
      certificates,
      records,
      sessions: claims,
    },
    anchors: {
      operatorKeys: new Map([[operatorKeyId, operatorKey]]),
      meters: new Set(meters),
      maxRecordGapMs: MAX_GAP_MS,
    },
    meterSeeds,
    operatorSeed,
  };
}
