import type { Clock, MeterId } from "@chargemesh/shared-model";
import { archivable, dayDocuments } from "@chargemesh/shared-model";
import type { SiteRepo } from "./siteRepo.js";
import type { AutomergeLedgerStore } from "./automergeLedgerStore.js";
import type { AutomergeSessionJournal } from "./automergeSessionJournal.js";
import { utcDay } from "./utcDay.js";

export interface SiteArchiverOptions {
  readonly site: SiteRepo;
  readonly ledger: AutomergeLedgerStore;
  readonly journal: AutomergeSessionJournal;
  readonly clock: Clock;
  /** The config document the cloud writes this site's acknowledgements into. */
  readonly config: { acknowledged(): Readonly<Record<string, readonly string[]>> };
  /** Days before today that stay live whatever the acknowledgements (default 1: today and yesterday). */
  readonly keepDays?: number;
}

/**
 * Keeps the site's live documents in the tens: archives the day journals and ledger segments that a
 * cloud peer acknowledged (in the site's config document) at exactly the heads the site holds, once
 * their day is closed (shared-model archiveRules). A journal holding a stall's standing out-of-service
 * action stays live, and so does a document under repair. Without a config document it archives nothing.
 */
export class SiteArchiver {
  constructor(private readonly opts: SiteArchiverOptions) {}

  /** Archives what is archivable now; returns the archived keys. Fails only when the store does. */
  async run(): Promise<string[]> {
    const acked = this.opts.config.acknowledged();
    if (Object.keys(acked).length === 0) return [];
    const { site, ledger, journal, clock } = this.opts;
    const pinned = new Set([...journal.outOfService().values()].map((a) => utcDay(a.at)));
    const due = archivable(
      dayDocuments(site.root.doc(), (id) => site.currentDoc(id)),
      acked,
      utcDay(clock.now()),
      this.opts.keepDays ?? 1,
    ).filter((d) => !(d.meterId === null && pinned.has(d.day)) && !site.isUnderRepair(d.documentId));
    for (const d of due) {
      if (d.meterId !== null) {
        const records =
          (site.currentDoc(d.documentId) as { records?: Record<string, unknown> } | null)?.records ?? {};
        ledger.forget(
          d.meterId as MeterId,
          Object.keys(records).map((k) => Number(k.slice(k.lastIndexOf("/") + 1))),
        );
      } else journal.forgetDay(d.day);
      await site.archive(d.key);
    }
    return due.map((d) => d.key);
  }
}
