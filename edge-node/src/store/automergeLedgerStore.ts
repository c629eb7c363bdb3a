import type { DocHandle } from "@automerge/automerge-repo";
import type { Clock, MeterId, SessionId } from "@chargemesh/shared-model";
import { ChargemeshError, ledgerKey } from "@chargemesh/shared-model";
import { decodeSignedRecord } from "@chargemesh/shared-model";
import { appendRecord } from "@chargemesh/shared-model";
import type { LedgerSegment } from "@chargemesh/shared-model";
import type { LedgerStore } from "../ledger/ledgerStore.js";
import type { SiteRepo } from "./siteRepo.js";
import { utcDay } from "./utcDay.js";

/** A ledger segment: one meter's signed records of one UTC day (schema and rules in shared-model). */
export type LedgerSegmentDoc = LedgerSegment;

/**
 * LedgerStore on the site's ledger segment documents (one per meter per day). Records are never
 * overwritten; every append is flushed to disk before it resolves.
 */
export class AutomergeLedgerStore implements LedgerStore {
  private readonly byMeter = new Map<MeterId, Map<number, Uint8Array>>();
  /** Meters whose newest segment is damaged and under repair: their chain head is unknown, so nothing is signed. */
  private readonly blocked = new Map<MeterId, string>();

  private constructor(
    private readonly site: SiteRepo,
    private readonly clock: Clock,
  ) {}

  /**
   * Loads every indexed segment into memory (the chain heads recovery needs); with `withArchive`, the
   * archived ones too (audit export). A segment under repair is left out, and when it is its meter's
   * newest, the meter is blocked (appends refused) until `adopt` takes the repaired copy.
   */
  static async open(
    site: SiteRepo,
    clock: Clock,
    opts: { withArchive?: boolean } = {},
  ): Promise<AutomergeLedgerStore> {
    const store = new AutomergeLedgerStore(site, clock);
    const docs: LedgerSegmentDoc[] = [];
    const newest = new Map<string, string>();
    for (const [key, url] of Object.entries(site.root.doc().segments)) {
      const meter = key.slice(0, key.lastIndexOf("/"));
      const day = key.slice(key.lastIndexOf("/") + 1);
      if (!site.isUnderRepair(url) && day > (newest.get(meter) ?? "")) newest.set(meter, day);
    }
    for (const [key, url] of Object.entries(site.root.doc().segments)) {
      if (site.isUnderRepair(url)) {
        const meter = key.slice(0, key.lastIndexOf("/"));
        if (key.slice(key.lastIndexOf("/") + 1) >= (newest.get(meter) ?? ""))
          store.blocked.set(meter as MeterId, url);
        continue;
      }
      docs.push((await site.repo.find<LedgerSegmentDoc>(url as never)).doc());
    }
    if (opts.withArchive) {
      for (const [key, url] of Object.entries(site.root.doc().archived ?? {}))
        if (key.startsWith("segments/")) docs.push(site.archivedDocument<LedgerSegmentDoc>(url));
    }
    for (const doc of docs) {
      for (const [key, value] of Object.entries(doc.records)) {
        const seq = Number(key.slice(key.lastIndexOf("/") + 1));
        store.index(doc.meterId as MeterId).set(seq, new Uint8Array(value));
      }
    }
    return store;
  }

  async append(meterId: MeterId, seq: number, shipped: Uint8Array): Promise<void> {
    const damaged = this.blockedBy(meterId);
    if (damaged)
      throw new ChargemeshError(
        "unavailable",
        `meter ${meterId}: its newest ledger segment ${damaged} is damaged and under repair; nothing is signed until it is restored`,
      );
    const existing = this.index(meterId).get(seq);
    if (existing) {
      if (Buffer.compare(Buffer.from(existing), Buffer.from(shipped)) === 0) return;
      throw new ChargemeshError("conflict", `meter ${meterId} seq ${seq} already holds a different record`);
    }
    const day = utcDay(this.clock.now());
    const handle: DocHandle<LedgerSegmentDoc> = await this.site.findOrCreate(
      "segments",
      `${meterId}/${day}`,
      () => ({
        schemaVersion: 1,
        meterId,
        day,
        records: {},
      }),
    );
    let refused: string | null = null;
    handle.change((d) => {
      const r = appendRecord(d, ledgerKey(meterId, seq), shipped);
      if (!r.ok) refused = r.error.message;
    });
    if (refused) throw new ChargemeshError("conflict", refused);
    await this.site.flush([handle.documentId]);
    this.index(meterId).set(seq, shipped);
  }

  last(meterId: MeterId): Uint8Array | null {
    const m = this.byMeter.get(meterId);
    if (!m || m.size === 0) return null;
    let best = -1;
    for (const s of m.keys()) if (s > best) best = s;
    return m.get(best)!;
  }

  *records(meterId: MeterId): Iterable<Uint8Array> {
    const m = this.byMeter.get(meterId);
    if (!m) return;
    for (const seq of [...m.keys()].sort((a, b) => a - b)) yield m.get(seq)!;
  }

  *sessionRecords(sessionId: SessionId): Iterable<Uint8Array> {
    for (const meter of this.byMeter.keys()) {
      for (const shipped of this.records(meter)) {
        const r = decodeSignedRecord(shipped);
        if (r.ok && r.value.body.sessionId === sessionId) yield shipped;
      }
    }
  }

  /** Drops an archived segment's records from memory (they stay in the archive); never the meter's newest. */
  forget(meterId: MeterId, seqs: Iterable<number>): void {
    const m = this.byMeter.get(meterId);
    if (!m) return;
    const newest = Math.max(...m.keys());
    for (const seq of seqs) if (seq !== newest) m.delete(seq);
  }

  /**
   * The segment under repair that blocks `meterId` (its newest, or the one of the present day, which
   * the next record would go to), or null when its chain can be appended to.
   */
  blockedBy(meterId: MeterId): string | null {
    const today = this.site.root.doc().segments[`${meterId}/${utcDay(this.clock.now())}`];
    return this.blocked.get(meterId) ?? (today && this.site.isUnderRepair(today) ? today : null);
  }

  /** Takes a repaired segment's records into memory (never replacing one held) and unblocks its meter. */
  adopt(url: string, doc: LedgerSegmentDoc): void {
    const m = this.index(doc.meterId as MeterId);
    for (const [key, value] of Object.entries(doc.records)) {
      const seq = Number(key.slice(key.lastIndexOf("/") + 1));
      if (!m.has(seq)) m.set(seq, new Uint8Array(value));
    }
    if (this.blocked.get(doc.meterId as MeterId) === url) this.blocked.delete(doc.meterId as MeterId);
  }

  meters(): Iterable<MeterId> {
    return this.byMeter.keys();
  }

  private index(meterId: MeterId): Map<number, Uint8Array> {
    let m = this.byMeter.get(meterId);
    if (!m) this.byMeter.set(meterId, (m = new Map()));
    return m;
  }
}
