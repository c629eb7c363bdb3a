import { createReadStream } from "node:fs";
import type { BundleReport, PreparedRecord, TrustAnchors } from "@chargemesh/shared-model";
import { BundleItemReader, BundleStreamChecker, signatureValid } from "@chargemesh/shared-model";
import { nodeEd25519Verifier } from "./nodeEd25519Verifier.js";
import { SignatureWorkerPool } from "./signatureWorkers.js";

export interface VerifyFileOptions {
  /** Trust anchors from outside the bundle; null: self-asserted. */
  readonly anchors: TrustAnchors | null;
  /** End of the audited period (ms); defaults to the bundle's createdAtMs. */
  readonly periodEndMs?: number | null;
  /** Signature worker threads; 0 checks on the main thread. */
  readonly workers: number;
  /** Records per batch sent to a worker. */
  readonly batchSize?: number;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Verifies a bundle file as it streams (docs/auditing.md): memory bounded by the batches in flight,
 * the meters and the sessions, never by the number of records. Signatures are checked on `workers`
 * threads; the report is the same for any worker count. Rejects only when the file cannot be read.
 */
export async function verifyBundleFile(file: string, opts: VerifyFileOptions): Promise<BundleReport> {
  const checker = new BundleStreamChecker({
    anchors: opts.anchors,
    periodEndMs: opts.periodEndMs ?? null,
    ed: nodeEd25519Verifier,
  });
  const reader = new BundleItemReader();
  const pool = opts.workers > 0 ? new SignatureWorkerPool(opts.workers) : null;
  const batchSize = opts.batchSize ?? 2048;
  const inFlight: { batch: PreparedRecord[]; verdicts: Promise<boolean[]> }[] = [];
  const maxInFlight = 2 * Math.max(1, opts.workers);
  let batch: PreparedRecord[] = [];
  let framingError: string | null = null;

  const settleHead = async () => {
    const head = inFlight.shift()!;
    const verdicts = await head.verdicts;
    head.batch.forEach((p, i) => checker.accept(p, verdicts[i]!));
  };
  const submit = async () => {
    if (batch.length === 0) return;
    if (pool) {
      inFlight.push({ batch, verdicts: pool.check(batch) });
      if (inFlight.length >= maxInFlight) await settleHead();
    } else {
      for (const p of batch) checker.accept(p, signatureValid(p, nodeEd25519Verifier));
    }
    batch = [];
  };

  try {
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
      const framed = reader.push(chunk as Buffer);
      for (const content of framed.items) {
        const p = checker.item(content);
        if (!p) continue;
        batch.push(p);
        if (batch.length >= batchSize) await submit();
      }
      framingError ??= framed.error;
    }
    await submit();
    while (inFlight.length > 0) await settleHead();
  } finally {
    await pool?.close();
  }
  return checker.finish(reader.leftover(), framingError);
}
