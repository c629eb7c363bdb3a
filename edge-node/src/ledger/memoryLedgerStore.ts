import type { MeterId, SessionId } from "@chargemesh/shared-model";
import { ChargemeshError } from "@chargemesh/shared-model";
import { decodeSignedRecord } from "@chargemesh/shared-model";
import type { LedgerStore } from "./ledgerStore.js";

/** A LedgerStore in memory: for generated audit bundles and benchmarks, never for a site's ledger. */
export class MemoryLedgerStore implements LedgerStore {
  private readonly byMeter = new Map<MeterId, Uint8Array[]>();

  async append(meterId: MeterId, seq: number, shipped: Uint8Array): Promise<void> {
    const list = this.byMeter.get(meterId) ?? [];
    this.byMeter.set(meterId, list);
    if (list[seq] !== undefined) {
      if (Buffer.compare(Buffer.from(list[seq]!), Buffer.from(shipped)) === 0) return;
      throw new ChargemeshError("conflict", `meter ${meterId} seq ${seq} already holds a different record`);
    }
    list[seq] = shipped;
  }

  last(meterId: MeterId): Uint8Array | null {
    return this.byMeter.get(meterId)?.at(-1) ?? null;
  }

  *records(meterId: MeterId): Iterable<Uint8Array> {
    for (const r of this.byMeter.get(meterId) ?? []) if (r) yield r;
  }

  *sessionRecords(sessionId: SessionId): Iterable<Uint8Array> {
    for (const m of this.byMeter.keys()) {
      for (const r of this.records(m)) {
        const d = decodeSignedRecord(r);
        if (d.ok && d.value.body.sessionId === sessionId) yield r;
      }
    }
  }

  meters(): Iterable<MeterId> {
    return this.byMeter.keys();
  }
}
