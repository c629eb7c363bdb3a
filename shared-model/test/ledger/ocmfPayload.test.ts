import { describe, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { meterId, stallId } from "../../src/ids.js";
import { nobleEd25519 } from "../../src/ledger/nobleEd25519.js";
import { issueMeterCertificate } from "../../src/ledger/meterCertificate.js";
import { encodeRecordBody, encodeSignedRecord, recordHash } from "../../src/ledger/signedRecord.js";
import { verifyChains } from "../../src/ledger/chainVerifier.js";
import { parseOcmf, signOcmf, verifyOcmf } from "../../src/ledger/ocmfPayload.js";

const meterSk = p256.utils.randomSecretKey(new Uint8Array(48).fill(3));
const meterPk = p256.getPublicKey(meterSk);
const edSeed = new Uint8Array(32).fill(4);
const opSeed = new Uint8Array(32).fill(5);
const ocmf = (kwh: string) =>
  signOcmf(
    {
      FV: "1.0",
      GI: "SIM SDM",
      GS: "EM-1",
      PG: "T1",
      RD: [{ TM: "2026-01-01T00:00:00,000+0000 S", TX: "B", RV: kwh, RI: "1-b:1.8.0", RU: "kWh", ST: "G" }],
    },
    meterSk,
  );

function chain(payloads: (Uint8Array | null)[], registers: number[]) {
  const m = meterId("eich-1");
  let prev: Uint8Array = new Uint8Array(32);
  const records: Uint8Array[] = [];
  payloads.forEach((payload, seq) => {
    const bodyBytes = encodeRecordBody({
      version: 1,
      meterId: m,
      seq,
      prevHash: prev,
      meterTimeMs: seq,
      registerWh: registers[seq]!,
      stallId: stallId("s1"),
      sessionId: null,
      kind: seq === 0 ? "boot" : "checkpoint",
      status: 0,
      meterPayload: payload,
    });
    const shipped = encodeSignedRecord({ bodyBytes, signature: nobleEd25519.sign(bodyBytes, edSeed) });
    prev = recordHash(shipped);
    records.push(shipped);
  });
  const cert = issueMeterCertificate(
    {
      version: 1,
      meterId: m,
      publicKey: nobleEd25519.publicKey(edSeed),
      keyEpoch: 0,
      signingLocation: "meter",
      issuedAtMs: 0,
      operatorKeyId: "op",
      payloadPublicKey: meterPk,
    },
    opSeed,
    nobleEd25519,
  );
  return verifyChains(
    {
      certificates: [cert.shipped],
      operatorKeys: new Map([["op", nobleEd25519.publicKey(opSeed)]]),
      records,
    },
    nobleEd25519,
  );
}

describe("OCMF payload: the certified meter's own signature, verified as a second layer", () => {
  test("readings are exact decimal Wh", () => {
    const r = parseOcmf(ocmf("12.345"));
    expect(r.ok && r.value.registerWh).toBe(12_345);
    expect(parseOcmf(ocmf("12.3456")).ok).toBe(false);
    expect(parseOcmf(new TextEncoder().encode("OCMF|not json|{}")).ok).toBe(false);
    expect(parseOcmf(new Uint8Array([0xff, 0xfe])).ok).toBe(false);
  });

  test("a chain of records carrying signed OCMF payloads verifies on both layers", () => {
    const report = chain([ocmf("1.000"), ocmf("2.500")], [1_000, 2_500]);
    expect(report.findings).toEqual([]);
    expect(report.meters[0]!.signingLocation).toBe("meter");
  });

  test("a tampered payload, or a payload whose reading differs from the record, is named", () => {
    const tampered = ocmf("2.500");
    tampered[tampered.indexOf(0x35)] = 0x36; // one digit of the payload changed after signing
    expect(verifyOcmf(tampered, meterPk, 2_500).ok).toBe(false);
    const report = chain([ocmf("1.000"), tampered], [1_000, 2_500]);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "bad_meter_payload", seq: 1 }));
    const mismatch = chain([ocmf("1.000"), ocmf("2.400")], [1_000, 2_500]);
    expect(mismatch.findings).toContainEqual(expect.objectContaining({ code: "bad_meter_payload", seq: 1 }));
  });
});
