import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { PreparedRecord } from "@chargemesh/shared-model";
import { checkPublicKey } from "@chargemesh/shared-model";

/**
 * The worker's code, plain JavaScript run with `eval` (no file to resolve, so it runs alike from the
 * TypeScript sources and from the packed package): S < L, then node:crypto's Ed25519 check under
 * each candidate key. The key rule (encoding, subgroup) is checked once per key on the main thread.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const SPKI = Buffer.from("302a300506032b6570032100", "hex");
const cache = new Map();
function key(raw) {
  const id = Buffer.from(raw).toString("hex");
  let k = cache.get(id);
  if (!k) { k = createPublicKey({ key: Buffer.concat([SPKI, raw]), format: "der", type: "spki" }); if (cache.size > 10000) cache.clear(); cache.set(id, k); }
  return k;
}
function canonicalS(sig) { let n = 0n; for (let i = 63; i >= 32; i--) n = (n << 8n) | BigInt(sig[i]); return n < L; }
parentPort.on("message", ({ id, keyTable, bodies, signatures, keyLists }) => {
  const out = new Uint8Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) {
    const sig = signatures[i];
    if (sig.length !== 64 || !canonicalS(sig)) continue;
    for (const k of keyLists[i]) {
      try { if (verify(null, bodies[i], key(keyTable[k]), sig)) { out[i] = 1; break; } } catch {}
    }
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

/** Every core unless told otherwise. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

interface Pending {
  resolve(out: Uint8Array): void;
  reject(e: Error): void;
}

/**
 * Ed25519 checks of prepared records on worker threads. `check` resolves with one verdict per record,
 * in the batch's order, whichever worker ran it, so results never depend on scheduling.
 */
export class SignatureWorkerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private nextWorker = 0;
  private failure: Error | null = null;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1)
      throw new RangeError("worker count must be a positive integer");
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.on("message", ({ id, out }: { id: number; out: Uint8Array }) => {
        this.pending.get(id)?.resolve(out);
        this.pending.delete(id);
      });
      w.on("error", (e) => this.fail(e));
      w.on("exit", (code) => code !== 0 && this.fail(new Error(`signature worker exited with ${code}`)));
      return w;
    });
  }

  /** Verdicts (true: a candidate key verifies) for a batch of prepared records. Rejects if a worker dies. */
  check(batch: readonly PreparedRecord[]): Promise<boolean[]> {
    if (this.failure) return Promise.reject(this.failure);
    const keyTable: Uint8Array[] = [];
    const keyIndex = new Map<string, number>();
    const keyLists = batch.map((p) =>
      p.keys
        .filter((k) => checkPublicKey(k) === null)
        .map((k) => {
          const id = Buffer.from(k).toString("hex");
          let i = keyIndex.get(id);
          if (i === undefined) keyIndex.set(id, (i = keyTable.push(k) - 1));
          return i;
        }),
    );
    const id = this.nextId++;
    const worker = this.workers[this.nextWorker++ % this.workers.length]!;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({
        id,
        keyTable,
        bodies: batch.map((p) => p.record?.bodyBytes ?? new Uint8Array(0)),
        signatures: batch.map((p) => p.record?.signature ?? new Uint8Array(0)),
        keyLists: batch.map((p, i) => (p.record ? keyLists[i] : [])),
      });
    }).then((out) => Array.from(out, (v) => v === 1));
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
