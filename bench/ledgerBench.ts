/**
 * bench:ledger: signed records appended per second and verified per second, node:crypto against
 * @noble/ed25519 measured in the same run (the ratio is what matters, not the absolute figures).
 */
import { RecordStatus, VirtualClock, meterId, sessionId, stallId } from "@chargemesh/shared-model";
import type { Ed25519 } from "@chargemesh/shared-model";
import { nobleEd25519 } from "@chargemesh/shared-model";
import { decodeSignedRecord } from "@chargemesh/shared-model";
import { verifyChains } from "@chargemesh/shared-model";
import { issueMeterCertificate } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { LedgerWriter } from "@chargemesh/edge-node";
import { MemoryLedgerStore } from "@chargemesh/edge-node";

const N = Number(process.env.BENCH_RECORDS ?? 3000);
const seed = new Uint8Array(32).fill(1);
const operator = new Uint8Array(32).fill(2);
const m = meterId("bench-meter");

async function signAndAppend(ed: Ed25519): Promise<{ perSec: number; records: Uint8Array[] }> {
  const store = new MemoryLedgerStore();
  const clock = new VirtualClock();
  const writer = new LedgerWriter(store, async (_m, bytes) => ed.sign(bytes, seed), clock);
  const s = sessionId("bench-site:0000000000000000BENCH");
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    clock.advance(30_000);
    await writer.append({
      meterId: m,
      stallId: stallId("stall-1"),
      sessionId: s,
      kind: i === 0 ? "begin" : "checkpoint",
      registerWh: i * 100,
      status: RecordStatus.ok,
    });
  }
  const ms = performance.now() - t0;
  return { perSec: (N / ms) * 1000, records: [...store.records(m)] };
}

function verifyAll(ed: Ed25519, records: Uint8Array[]): number {
  const cert = issueMeterCertificate(
    {
      version: 1,
      meterId: m,
      publicKey: ed.publicKey(seed),
      keyEpoch: 0,
      signingLocation: "site-secure-element",
      issuedAtMs: 0,
      operatorKeyId: "op",
      payloadPublicKey: null,
    },
    operator,
    ed,
  );
  const t0 = performance.now();
  const report = verifyChains(
    { certificates: [cert.shipped], operatorKeys: new Map([["op", ed.publicKey(operator)]]), records },
    ed,
  );
  const ms = performance.now() - t0;
  if (!report.ok) throw new Error(`bench chain did not verify: ${report.findings[0]?.message}`);
  return (records.length / ms) * 1000;
}

function rawVerify(ed: Ed25519, records: Uint8Array[]): number {
  const pub = ed.publicKey(seed);
  const decoded = records.map((r) => {
    const d = decodeSignedRecord(r);
    if (!d.ok) throw d.error;
    return d.value;
  });
  const t0 = performance.now();
  for (const d of decoded) if (!ed.verify(d.signature, d.bodyBytes, pub)) throw new Error("bad signature");
  return (decoded.length / (performance.now() - t0)) * 1000;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const rows: Array<[string, number, number]> = [];
const nodeAppend = await signAndAppend(nodeEd25519);
const nobleAppend = await signAndAppend(nobleEd25519);
rows.push(["sign + encode + append (records/s)", nodeAppend.perSec, nobleAppend.perSec]);
rows.push([
  "signature verify only (records/s)",
  rawVerify(nodeEd25519, nodeAppend.records),
  rawVerify(nobleEd25519, nodeAppend.records),
]);
rows.push([
  "full chain verification (records/s)",
  verifyAll(nodeEd25519, nodeAppend.records),
  verifyAll(nobleEd25519, nodeAppend.records),
]);
console.log(`bench:ledger: ${N} records, one meter (baseline: @noble/ed25519 in the same run)\n`);
console.log(`| measure | node:crypto | @noble/ed25519 | ratio node/noble |`);
console.log(`|---|---:|---:|---:|`);
for (const [name, a, b] of rows) console.log(`| ${name} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(1)}x |`);
