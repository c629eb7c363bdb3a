import { readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import {
  decodeAuditBundle,
  decodeSignedRecord,
  encodeAuditBundle,
  encodeRecordBody,
  encodeSignedRecord,
  issueMeterCertificate,
  meterId as toMeterId,
  nobleEd25519,
  recordHash,
} from "@chargemesh/shared-model";
import type { AuditBundle, MeterRecordBody } from "@chargemesh/shared-model";

/** The repository root (tests run from it). */
export const ROOT = new URL("../../", import.meta.url).pathname;
export const CLI = `${ROOT}auditor/bin/chargemesh-audit.mjs`;

/** Runs the real CLI in a child process. */
export function audit(args: string[], timeoutMs = 120_000) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, timeout: timeoutMs });
}

/** A genuine demo bundle and its operator's anchors, written by the simulation's CLI (as a site would). */
export function demoBundle(out: string, sessions = 12): { bundle: string; anchors: string } {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      `${ROOT}simulation/src/cli/demoBundle.ts`,
      "--out",
      out,
      "--sessions",
      String(sessions),
      "--json",
    ],
    { encoding: "utf8", cwd: ROOT },
  );
  if (r.status !== 0) throw new Error(`demo-bundle failed: ${r.stderr}`);
  return { bundle: out, anchors: `${out}.anchors.json` };
}

export function readBundle(file: string): AuditBundle {
  const b = decodeAuditBundle(readFileSync(file));
  if (!b.ok) throw b.error;
  return b.value;
}

export function writeBundle(file: string, b: AuditBundle): string {
  writeFileSync(file, encodeAuditBundle(b));
  return file;
}

export function bodyOf(shipped: Uint8Array): MeterRecordBody {
  const r = decodeSignedRecord(shipped);
  if (!r.ok) throw r.error;
  return r.value.body;
}

/**
 * What a forger without any secret does: a new operator key under the same key ID, new meter keys,
 * every record re-signed and re-linked, `edit` applied to each body first. Self-consistent.
 */
export function resignEverything(
  b: AuditBundle,
  edit: (body: MeterRecordBody) => MeterRecordBody = (x) => x,
): AuditBundle {
  const opSeed = new Uint8Array(32).fill(0x66);
  const keyId = b.operatorKeys[0]![0];
  const meterSeeds = new Map<string, Uint8Array>();
  const prev = new Map<string, Uint8Array>();
  const bodies = b.records
    .map(bodyOf)
    .sort((x, y) => (x.meterId < y.meterId ? -1 : x.meterId > y.meterId ? 1 : x.seq - y.seq));
  const records = bodies.map((orig) => {
    if (!meterSeeds.has(orig.meterId))
      meterSeeds.set(orig.meterId, new Uint8Array(32).fill(meterSeeds.size + 1));
    const body = { ...edit(orig), prevHash: prev.get(orig.meterId) ?? new Uint8Array(32) };
    const bodyBytes = encodeRecordBody(body);
    const shipped = encodeSignedRecord({
      bodyBytes,
      signature: nobleEd25519.sign(bodyBytes, meterSeeds.get(orig.meterId)!),
    });
    prev.set(orig.meterId, recordHash(shipped));
    return shipped;
  });
  const certificates = [...meterSeeds].map(
    ([m, seed]) =>
      issueMeterCertificate(
        {
          version: 1,
          meterId: toMeterId(m),
          publicKey: nobleEd25519.publicKey(seed),
          keyEpoch: 0,
          signingLocation: "site-secure-element",
          issuedAtMs: b.createdAtMs,
          operatorKeyId: keyId,
          payloadPublicKey: null,
        },
        opSeed,
        nobleEd25519,
      ).shipped,
  );
  return { ...b, operatorKeys: [[keyId, nobleEd25519.publicKey(opSeed)]], certificates, records };
}
