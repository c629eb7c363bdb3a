import { beforeAll, describe, expect, test } from "vitest";
import { nobleEd25519 } from "../../src/ledger/nobleEd25519.js";
import { issueMeterCertificate } from "../../src/ledger/meterCertificate.js";
import { recordHash } from "../../src/ledger/signedRecord.js";
import { signOcmf } from "../../src/ledger/ocmfPayload.js";
import {
  decodeAuditBundle,
  encodeAuditBundle,
  verifyAuditBundle,
  verifyBundleBytes,
} from "../../src/ledger/auditBundle.js";
import type { AuditBundle } from "../../src/ledger/auditBundle.js";
import { MAX_FINDINGS_PER_CODE } from "../../src/ledger/findings.js";
import { verifyLedger } from "../../src/ledger/ledgerVerifier.js";
import { formatTrustAnchors, parseTrustAnchors } from "../../src/ledger/trustAnchors.js";
import { meterId, stallId } from "../../src/ids.js";
import type { Fixture } from "./chainFixture.js";
import { MAX_GAP_MS, bodyOf, makeFixture, sign } from "./chainFixture.js";
import { chainHeads } from "../../src/ledger/chainHeads.js";

let fx: Fixture;
beforeAll(() => {
  fx = makeFixture({ meters: 2, sessions: 4, seed: 7 });
});

const verify = (b: AuditBundle, anchors = fx.anchors) => verifyAuditBundle(b, nobleEd25519, { anchors });
const codes = (r: { findings: readonly { code: string }[] }) =>
  [...new Set(r.findings.map((f) => f.code))].sort();
const lastIndexOf = (records: readonly Uint8Array[], meter: string) =>
  records.reduce((best, r, i) => (bodyOf(r).meterId === meter ? i : best), -1);

describe("ledger verifier", () => {
  test("a genuine bundle verifies under outside anchors, and only as self-asserted without them", () => {
    const r = verify(fx.bundle);
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe("verified");
    expect(r.sessions.filter((s) => s.complete)).toHaveLength(4);
    expect(r.sessionsWh).toBe(fx.bundle.sessions.reduce((a, s) => a + s.energyWh!, 0));
    const self = verifyAuditBundle(fx.bundle, nobleEd25519);
    expect(self.verdict).toBe("self-asserted");
    expect(self.ok).toBe(true);
  });

  test("the report does not depend on record order", () => {
    const shuffled = { ...fx.bundle, records: [...fx.bundle.records].reverse() };
    const strip = (r: ReturnType<typeof verify>) => ({
      ...r,
      findings: r.findings.map((f) => ({ ...f, index: undefined })),
    });
    expect(strip(verify(shuffled))).toEqual(strip(verify(fx.bundle)));
  });

  test("hang: a record with seq 2^31 (and one at 2^53-1) keeping its old signature ends with findings, not a walk to the number", () => {
    for (const seq of [2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const records = [...fx.bundle.records];
      const i = lastIndexOf(records, "m-1");
      const b = bodyOf(records[i]!);
      const oldSig = records[i]!;
      // Same signature bytes, new body: re-wrap the old signature around the edited body.
      const edited = sign({ ...b, seq }, new Uint8Array(32).fill(1));
      const sig = oldSig.subarray(oldSig.length - 64);
      const forged = new Uint8Array(edited);
      forged.set(sig, forged.length - 64);
      records[i] = forged;
      const r = verify({ ...fx.bundle, records });
      expect(r.verdict).toBe("failed");
      expect(codes(r)).toEqual(expect.arrayContaining(["bad_signature", "sequence_gap"]));
    }
  });

  test("crash: a validly signed record whose meter payload is OCMF|{}|null is a finding", () => {
    const records = [...fx.bundle.records];
    const i = lastIndexOf(records, "m-2");
    records[i] = sign(
      { ...bodyOf(records[i]!), meterPayload: new TextEncoder().encode("OCMF|{}|null") },
      fx.meterSeeds.get("m-2")!,
    );
    const r = verify({ ...fx.bundle, records });
    expect(r.findings).toContainEqual(
      expect.objectContaining({ code: "bad_meter_payload", meterId: "m-2", index: i }),
    );
    for (const p of [
      "OCMF|null|{}",
      "OCMF|[]|[]",
      'OCMF|{}|{"SA":"ECDSA-secp256r1-SHA256","SD":7}',
      "OCMF||",
    ]) {
      records[i] = sign(
        { ...bodyOf(fx.bundle.records[i]!), meterPayload: new TextEncoder().encode(p) },
        fx.meterSeeds.get("m-2")!,
      );
      expect(codes(verify({ ...fx.bundle, records }))).toContain("bad_meter_payload");
    }
  });

  test("self-certified: a replaced operator key that re-signs everything fails under the anchors", () => {
    const forger = makeFixture({ meters: 2, sessions: 4, seed: 7, operatorKeyId: "op-1" });
    const fake = new Uint8Array(32).fill(0x42);
    const certificates = [...forger.meterSeeds].map(
      ([m, seed]) =>
        issueMeterCertificate(
          {
            version: 1,
            meterId: meterId(m),
            publicKey: nobleEd25519.publicKey(seed),
            keyEpoch: 0,
            signingLocation: "meter",
            issuedAtMs: 0,
            operatorKeyId: "op-1",
            payloadPublicKey: null,
          },
          fake,
          nobleEd25519,
        ).shipped,
    );
    const resigned = {
      ...forger.bundle,
      operatorKeys: [["op-1", nobleEd25519.publicKey(fake)] as const],
      certificates,
    };
    expect(verifyAuditBundle(resigned, nobleEd25519).verdict).toBe("self-asserted");
    const r = verify(resigned);
    expect(r.verdict).toBe("failed");
    expect(codes(r)).toEqual(
      expect.arrayContaining([
        "untrusted_operator_key",
        "bad_certificate",
        "unknown_meter",
        "claim_without_records",
        "meter_missing",
      ]),
    );
  });

  test("self-certified: a second operator key certifying a new meter with a fake 9,000 Wh session fails under the anchors", () => {
    const fakeOp = new Uint8Array(32).fill(0x43);
    const fakeMeter = new Uint8Array(32).fill(0x44);
    const m = meterId("m-fake");
    const cert = issueMeterCertificate(
      {
        version: 1,
        meterId: m,
        publicKey: nobleEd25519.publicKey(fakeMeter),
        keyEpoch: 0,
        signingLocation: "meter",
        issuedAtMs: 0,
        operatorKeyId: "op-2",
        payloadPublicKey: null,
      },
      fakeOp,
      nobleEd25519,
    ).shipped;
    const t = fx.bundle.createdAtMs;
    const base = { version: 1 as const, meterId: m, stallId: stallId("s-9"), status: 0, meterPayload: null };
    const r0 = sign(
      {
        ...base,
        seq: 0,
        prevHash: new Uint8Array(32),
        meterTimeMs: t - 1000,
        registerWh: 0,
        sessionId: null,
        kind: "boot",
      },
      fakeMeter,
    );
    const sid = fx.bundle.sessions[0]!.sessionId.replace(/.$/, "Z");
    const r1 = sign(
      {
        ...base,
        seq: 1,
        prevHash: recordHash(r0),
        meterTimeMs: t - 900,
        registerWh: 0,
        sessionId: sid as never,
        kind: "begin",
      },
      fakeMeter,
    );
    const r2 = sign(
      {
        ...base,
        seq: 2,
        prevHash: recordHash(r1),
        meterTimeMs: t - 100,
        registerWh: 9_000,
        sessionId: sid as never,
        kind: "end",
      },
      fakeMeter,
    );
    const forged = {
      ...fx.bundle,
      operatorKeys: [...fx.bundle.operatorKeys, ["op-2", nobleEd25519.publicKey(fakeOp)] as const],
      certificates: [...fx.bundle.certificates, cert],
      records: [...fx.bundle.records, r0, r1, r2],
      sessions: [
        ...fx.bundle.sessions,
        {
          sessionId: sid,
          stallId: "s-9",
          meterId: "m-fake",
          contractId: null,
          state: "completed",
          energyWh: 9_000,
        },
      ],
    };
    expect(verifyAuditBundle(forged, nobleEd25519).verdict).toBe("self-asserted");
    const r = verify(forged);
    expect(r.verdict).toBe("failed");
    expect(codes(r)).toEqual(
      expect.arrayContaining([
        "untrusted_operator_key",
        "bad_certificate",
        "unknown_meter",
        "claim_without_records",
      ]),
    );
    expect(r.sessionsWh).toBe(verify(fx.bundle).sessionsWh);
  });

  test("truncation: cutting a meter's last session and its claim stops the chain short of the operator's head", () => {
    const lastClaim = fx.bundle.sessions.at(-1)!;
    const begin = fx.bundle.records.findIndex((r) => bodyOf(r).sessionId === lastClaim.sessionId);
    const beginSeq = bodyOf(fx.bundle.records[begin]!).seq;
    const records = fx.bundle.records.filter(
      (r) => bodyOf(r).meterId !== lastClaim.meterId || bodyOf(r).seq < beginSeq,
    );
    const cut = { ...fx.bundle, records, sessions: fx.bundle.sessions.slice(0, -1) };
    const withHeads = { ...fx.anchors, heads: chainHeads(fx.bundle.records) };
    const r = verify(cut, withHeads);
    expect(r.verdict).toBe("failed");
    expect(r.findings).toContainEqual(
      expect.objectContaining({ code: "chain_head_missing", meterId: lastClaim.meterId }),
    );
    expect(verify(fx.bundle, withHeads).verdict).toBe("verified");
  });

  test("truncation: without heads, a tail cut longer than the record-gap policy is named; a cut in the middle is a gap", () => {
    const m1 = fx.bundle.records.filter((r) => bodyOf(r).meterId === "m-1");
    const endMs = bodyOf(m1.at(-1)!).meterTimeMs;
    const kept = fx.bundle.records.filter(
      (r) => bodyOf(r).meterId !== "m-1" || bodyOf(r).meterTimeMs < endMs - 2 * MAX_GAP_MS,
    );
    const r = verify({ ...fx.bundle, records: kept });
    expect(r.findings).toContainEqual(
      expect.objectContaining({ code: "chain_tail_missing", meterId: "m-1" }),
    );
    const middle = fx.bundle.records.filter(
      (r) => bodyOf(r).meterId !== "m-1" || bodyOf(r).seq < 3 || bodyOf(r).seq > 8,
    );
    expect(codes(verify({ ...fx.bundle, records: middle }))).toEqual(
      expect.arrayContaining(["sequence_gap"]),
    );
  });

  test("masked finding: a repeated record is a note and the total check still runs", () => {
    const records = [...fx.bundle.records];
    const i = lastIndexOf(records, "m-1");
    const b = bodyOf(records[i]!);
    records[i] = sign({ ...b, registerWh: b.registerWh + 500 }, fx.meterSeeds.get("m-1")!);
    records.push(records[0]!);
    const r = verify({ ...fx.bundle, records });
    expect(codes(r)).toEqual(["duplicate_record", "total_mismatch"]);
    expect(r.verdict).toBe("failed");
    expect(r.deliveredWh).toBe(r.sessionsWh + 500);
  });

  test("claims are checked against the signed records: stall, meter, state, energy, deletions, additions", () => {
    const [c0, c1] = fx.bundle.sessions;
    const edit = (patch: object, k = 0) =>
      verify({
        ...fx.bundle,
        sessions: fx.bundle.sessions.map((s, j) => (j === k ? { ...s, ...patch } : s)),
      });
    expect(edit({ stallId: "s-2" }).findings).toContainEqual(
      expect.objectContaining({ code: "claim_mismatch", field: "stallId", sessionId: c0!.sessionId }),
    );
    expect(edit({ meterId: "m-2" }).findings).toContainEqual(
      expect.objectContaining({ code: "claim_mismatch", field: "meterId" }),
    );
    expect(edit({ state: "charging" }).findings).toContainEqual(
      expect.objectContaining({ code: "claim_mismatch", field: "state" }),
    );
    expect(edit({ state: "paid-in-full" }).findings).toContainEqual(
      expect.objectContaining({ code: "claim_mismatch", field: "state" }),
    );
    expect(codes(edit({ energyWh: c1!.energyWh! + 1 }, 1))).toEqual(["energy_mismatch"]);
    expect(codes(edit({ energyWh: null }))).toEqual(["energy_mismatch"]);
    expect(codes(verify({ ...fx.bundle, sessions: fx.bundle.sessions.slice(1) }))).toEqual([
      "session_without_claim",
    ]);
    expect(codes(verify({ ...fx.bundle, sessions: [...fx.bundle.sessions, c0!] }))).toEqual([
      "duplicate_claim",
    ]);
    const invented = { ...c0!, sessionId: c0!.sessionId.replace(/.$/, "Q"), energyWh: 999_999 };
    expect(codes(verify({ ...fx.bundle, sessions: [...fx.bundle.sessions, invented] }))).toEqual([
      "claim_without_records",
    ]);
  });

  test("a claim of a session that never charged needs no records; a journal lagging its records is a note", () => {
    const rejected = {
      ...fx.bundle.sessions[0]!,
      sessionId: fx.bundle.sessions[0]!.sessionId.replace(/.$/, "R"),
      state: "rejected",
      energyWh: null,
    };
    expect(verify({ ...fx.bundle, sessions: [...fx.bundle.sessions, rejected] }).findings).toEqual([]);
    const lagging = verify({
      ...fx.bundle,
      sessions: fx.bundle.sessions.map((s, j) => (j === 0 ? { ...s, state: "stopping", energyWh: null } : s)),
    });
    expect(codes(lagging)).toEqual(["claim_behind_records"]);
    expect(lagging.verdict).toBe("verified");
  });

  test("a bundle of claims with zero records, and an empty bundle, fail", () => {
    const noRecords = verify({
      ...fx.bundle,
      records: [],
      sessions: [{ ...fx.bundle.sessions[0]!, energyWh: 999_999 }],
    });
    expect(codes(noRecords)).toEqual(
      expect.arrayContaining(["empty_bundle", "claim_without_records", "meter_missing"]),
    );
    const empty = verifyAuditBundle(
      { ...fx.bundle, operatorKeys: [], certificates: [], records: [], sessions: [] },
      nobleEd25519,
    );
    expect(empty.verdict).toBe("failed");
    expect(codes(empty)).toEqual(["empty_bundle"]);
  });

  test("findings are bounded per code, counts stay exact", () => {
    const junk = Array.from(
      { length: MAX_FINDINGS_PER_CODE + 50 },
      (_, k) => new Uint8Array([0x82, k & 0xff]),
    );
    const r = verify({ ...fx.bundle, records: [...fx.bundle.records, ...junk] });
    expect(r.findings.filter((f) => f.code === "malformed_record")).toHaveLength(MAX_FINDINGS_PER_CODE);
    expect(r.findingCounts.malformed_record).toBe(MAX_FINDINGS_PER_CODE + 50);
  });

  test("chain-only verification (no claims) of the records alone", () => {
    const r = verifyLedger(
      { certificates: fx.bundle.certificates, records: fx.bundle.records, claims: null },
      fx.anchors,
      { ed: nobleEd25519 },
    );
    expect(r.verdict).toBe("verified");
    expect(r.checks.claims).toBe(false);
  });
});

describe("bundle container and trust anchors", () => {
  test("encode, decode and stream-verify give the same report; any cut is named", () => {
    const bytes = encodeAuditBundle(fx.bundle);
    const back = decodeAuditBundle(bytes);
    expect(back.ok && back.value.records.length).toBe(fx.bundle.records.length);
    const streamed = verifyBundleBytes(bytes, nobleEd25519, { anchors: fx.anchors });
    expect(streamed.verdict).toBe("verified");
    for (const cut of [1, 10, 300, bytes.length - 200]) {
      const r = verifyBundleBytes(bytes.subarray(0, bytes.length - cut), nobleEd25519, {
        anchors: fx.anchors,
      });
      expect(r.verdict).toBe("failed");
      expect(codes(r)).toContain("malformed_bundle");
    }
    expect(decodeAuditBundle(bytes.subarray(0, 100)).ok).toBe(false);
    expect(verifyBundleBytes(new TextEncoder().encode("not a bundle \xff"), nobleEd25519).verdict).toBe(
      "failed",
    );
  });

  test("trust anchors round-trip; malformed files are error values", () => {
    const back = parseTrustAnchors(formatTrustAnchors(fx.anchors));
    expect(back.ok && [...back.value.operatorKeys.keys()]).toEqual(["op-1"]);
    expect(back.ok && back.value.maxRecordGapMs).toBe(fx.anchors.maxRecordGapMs);
    for (const bad of [
      "",
      "null",
      "[]",
      '{"format":"chargemesh-trust-anchors","version":1,"operatorKeys":{}}',
      '{"format":"chargemesh-trust-anchors","version":1,"operatorKeys":{"a":"zz"}}',
      '{"format":"x","version":1,"operatorKeys":{}}',
    ]) {
      expect(parseTrustAnchors(bad).ok).toBe(false);
    }
  });
});

test("OCMF parse never throws on hostile sections", () => {
  const sk = new Uint8Array(32).fill(9);
  expect(() => signOcmf({ RD: [] }, sk)).not.toThrow();
});
