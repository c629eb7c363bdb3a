/**
 * bench:audit: streaming verification of a year-sized chain. Writes a bundle of BENCH_AUDIT_RECORDS
 * (default 1,000,000) signed records of one meter (sessions of 10 records, claims, idle-free), and a
 * tenth-size bundle, then verifies each in a fresh process with one signature worker and with every
 * core: records per second (the ratio all cores / one worker is the figure) and peak RSS (the ratio
 * full / tenth size shows memory does not grow with records).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { generateKeyPairSync, sign } from "node:crypto";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import {
  encodeBundleItem,
  encodeRecordBody,
  encodeSignedRecord,
  formatTrustAnchors,
  issueMeterCertificate,
  meterId,
  newSessionId,
  nobleEd25519,
  recordHash,
  siteId,
  stallId,
} from "@chargemesh/shared-model";
import type { BundleItem, ChainHead, SessionId } from "@chargemesh/shared-model";

const N = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
const PER_SESSION = 10;
const dir = mkdtempSync(join(tmpdir(), "cm-bench-audit-"));

function writeBundle(records: number, file: string): { anchors: string; genMs: number; bytes: number } {
  const t0 = performance.now();
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const meterKey = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(12));
  const opSeed = new Uint8Array(32).fill(21);
  const m = meterId("bench-meter");
  const stall = stallId("stall-1");
  const start = Date.UTC(2026, 0, 1);
  const fd = openSync(file, "w");
  let pending: Uint8Array[] = [];
  let bytes = 0;
  const flush = () => {
    writeSync(fd, Buffer.concat(pending));
    pending = [];
  };
  const put = (item: BundleItem) => {
    const framed = encodeBundleItem(item);
    bytes += framed.length;
    pending.push(framed);
    if (pending.length >= 4096) flush();
  };
  const endMs = start + records * 60_000;
  put({ kind: "header", siteId: "bench-site", createdAtMs: endMs });
  put({
    kind: "certificate",
    bytes: issueMeterCertificate(
      {
        version: 1,
        meterId: m,
        publicKey: meterKey,
        keyEpoch: 0,
        signingLocation: "site-secure-element",
        issuedAtMs: start,
        operatorKeyId: "bench-op",
        payloadPublicKey: null,
      },
      opSeed,
      nobleEd25519,
    ).shipped,
  });
  let prevHash: Uint8Array = new Uint8Array(32);
  let head: ChainHead | null = null;
  let wh = 0;
  let session: SessionId | null = null;
  let beginWh = 0;
  const claims: BundleItem[] = [];
  for (let seq = 0; seq < records; seq++) {
    const phase = seq === 0 ? -1 : (seq - 1) % PER_SESSION;
    const last = phase === PER_SESSION - 1 || seq === records - 1;
    const kind = seq === 0 ? "boot" : phase === 0 ? "begin" : last ? "end" : "checkpoint";
    const t = start + seq * 60_000;
    if (kind === "begin") {
      session = newSessionId(siteId("bench-site"), t, (k) => new Uint8Array(k).fill(seq % 251));
      beginWh = wh;
    } else if (kind === "checkpoint") wh += 350;
    const bodyBytes = encodeRecordBody({
      version: 1,
      meterId: m,
      seq,
      prevHash,
      meterTimeMs: t,
      registerWh: wh,
      stallId: stall,
      sessionId: kind === "boot" ? null : session,
      kind,
      status: 0,
      meterPayload: null,
    });
    const shipped = encodeSignedRecord({
      bodyBytes,
      signature: new Uint8Array(sign(null, bodyBytes, privateKey)),
    });
    prevHash = recordHash(shipped);
    head = { seq, hash: prevHash };
    put({ kind: "record", bytes: shipped });
    if (kind === "end")
      claims.push({
        kind: "claim",
        claim: {
          sessionId: session!,
          stallId: stall,
          meterId: m,
          contractId: null,
          state: "completed",
          energyWh: wh - beginWh,
        },
      });
  }
  for (const c of claims) put(c);
  put({ kind: "end", records, claims: claims.length });
  flush();
  closeSync(fd);
  const anchors = `${file}.anchors.json`;
  writeFileSync(
    anchors,
    formatTrustAnchors({
      operatorKeys: new Map([["bench-op", nobleEd25519.publicKey(opSeed)]]),
      meters: new Set([m]),
      maxRecordGapMs: 120_000,
      heads: new Map([[m, head!]]),
    }),
  );
  return { anchors, genMs: performance.now() - t0, bytes };
}

interface Run {
  verdict: string;
  records: number;
  ms: number;
  maxRssKiB: number;
}

function verifyInFreshProcess(file: string, anchors: string, workers: number): Run {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "auditBenchVerify.ts"), file, anchors, String(workers)],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`verify run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run;
}

try {
  const cores = availableParallelism();
  const tenth = Math.max(1000, Math.floor(N / 10));
  console.log(
    `bench:audit: one meter, ${N.toLocaleString("en")} records (and ${tenth.toLocaleString("en")}), ${cores} cores`,
  );
  const big = join(dir, "big.bundle");
  const small = join(dir, "small.bundle");
  const g = writeBundle(N, big);
  console.log(
    `  wrote ${N.toLocaleString("en")} records (${(g.bytes / 2 ** 20).toFixed(1)} MiB) in ${(g.genMs / 1000).toFixed(1)} s`,
  );
  const gs = writeBundle(tenth, small);
  const runs: [string, Run][] = [
    ["1 worker, tenth size", verifyInFreshProcess(small, gs.anchors, 1)],
    ["1 worker", verifyInFreshProcess(big, g.anchors, 1)],
    [`${cores} workers`, verifyInFreshProcess(big, g.anchors, cores)],
  ];
  for (const [name, r] of runs) {
    console.log(
      `  ${name.padEnd(22)} ${r.verdict.padEnd(9)} ${r.records.toLocaleString("en").padStart(10)} records in ${(r.ms / 1000).toFixed(1).padStart(6)} s = ${Math.round(
        (r.records / r.ms) * 1000,
      )
        .toLocaleString("en")
        .padStart(7)} rec/s, peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB`,
    );
  }
  const [, tenthRun] = runs[0]!;
  const [, one] = runs[1]!;
  const [, all] = runs[2]!;
  console.log(`  ratio all cores / 1 worker: ${(one.ms / all.ms).toFixed(2)}x rec/s`);
  console.log(
    `  ratio peak RSS full / tenth size: ${(one.maxRssKiB / tenthRun.maxRssKiB).toFixed(2)}x (records x${(N / tenth).toFixed(0)})`,
  );
  if (runs.some(([, r]) => r.verdict !== "verified")) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
