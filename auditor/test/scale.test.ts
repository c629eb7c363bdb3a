import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { generateKeyPairSync, sign } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import {
  encodeBundleItem,
  encodeRecordBody,
  encodeSignedRecord,
  issueMeterCertificate,
  meterId,
  nobleEd25519,
  recordHash,
  stallId,
} from "@chargemesh/shared-model";
import { verifyBundleFile } from "../src/verifyBundleFile.js";

const dir = mkdtempSync(join(tmpdir(), "cm-auditor-scale-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a genuine 154,001-record chain of one meter verifies, streamed, on worker threads (the old verifier died of a RangeError)", async () => {
  const N = 154_001;
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const meterKey = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(12));
  const opSeed = new Uint8Array(32).fill(11);
  const m = meterId("year-meter");
  const cert = issueMeterCertificate(
    {
      version: 1,
      meterId: m,
      publicKey: meterKey,
      keyEpoch: 0,
      signingLocation: "site-secure-element",
      issuedAtMs: 0,
      operatorKeyId: "op",
      payloadPublicKey: null,
    },
    opSeed,
    nobleEd25519,
  ).shipped;
  const file = join(dir, "year.cbor");
  const fd = openSync(file, "w");
  const write = (item: Parameters<typeof encodeBundleItem>[0]) => writeSync(fd, encodeBundleItem(item));
  const t0 = Date.UTC(2026, 0, 1);
  write({ kind: "header", siteId: "year-site", createdAtMs: t0 + N * 60_000 });
  write({ kind: "certificate", bytes: cert });
  let prevHash: Uint8Array = new Uint8Array(32);
  for (let seq = 0; seq < N; seq++) {
    const bodyBytes = encodeRecordBody({
      version: 1,
      meterId: m,
      seq,
      prevHash,
      meterTimeMs: t0 + seq * 60_000,
      registerWh: 1_000,
      stallId: stallId("s-1"),
      sessionId: null,
      kind: seq === 0 ? "boot" : "checkpoint",
      status: 0,
      meterPayload: null,
    });
    const shipped = encodeSignedRecord({
      bodyBytes,
      signature: new Uint8Array(sign(null, bodyBytes, privateKey)),
    });
    prevHash = recordHash(shipped);
    write({ kind: "record", bytes: shipped });
  }
  write({ kind: "end", records: N, claims: 0 });
  closeSync(fd);
  const anchors = {
    operatorKeys: new Map([["op", nobleEd25519.publicKey(opSeed)]]),
    meters: new Set([m as string]),
    maxRecordGapMs: 120_000,
  };
  const report = await verifyBundleFile(file, { anchors, workers: 2 });
  expect(report.findings).toEqual([]);
  expect(report.verdict).toBe("verified");
  expect(report.meters).toEqual([
    expect.objectContaining({ meterId: m, records: N, firstSeq: 0, lastSeq: N - 1 }),
  ]);
}, 600_000);
