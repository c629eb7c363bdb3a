import { journalEntrySchema, readConfigOcpiTariffs } from "@chargemesh/shared-model";
import type { Clock, ConfigDocument, HeldOcpiTariffs, JournalEntry } from "@chargemesh/shared-model";
import type { HistorySession } from "@chargemesh/shared-model/contracts";
import type { Tariff } from "./costSoFar.js";
import type { SessionFacts, SiteFactsSource } from "./liveFrameProducer.js";

/** The part of a cloud peer this reads: sites' documents as the sites wrote them. */
export interface SiteDocumentsReader {
  syncState(): readonly { readonly siteId: string }[];
  siteView(siteId: string): Promise<{ documents: readonly { readonly doc: unknown }[] }>;
  readonly configs: { urlOf(siteId: string): string };
  currentDoc(documentId: string): unknown;
}

/** Sessions cached per site at most; more than a site starts between two refreshes of its journals. */
const MAX_CACHED_PER_SITE = 50_000;

/**
 * Session facts from the sites' day journals as this cloud peer holds them (owner views: only what
 * the site itself wrote). Live lookups are synchronous from a cache; a miss schedules a re-read of
 * that site's journals, at most once per `refreshEveryMs`. Entries that fail the journal schema are
 * skipped. Never throws.
 */
export class SiteJournalFacts implements SiteFactsSource {
  private readonly bySite = new Map<string, Map<string, JournalEntry>>();
  private readonly lastRefresh = new Map<string, number>();
  private readonly refreshing = new Set<string>();
  /** Per site: the config's OCPI tariff text and zone last read, and what they read as. */
  private readonly ocpiRead = new Map<string, { json: string; zone: string; held: HeldOcpiTariffs | null }>();

  constructor(
    private readonly peer: SiteDocumentsReader,
    /** The config document the cloud addresses to a site, as held here (null when none). */
    private readonly configOf: (siteId: string) => ConfigDocument | null,
    private readonly clock: Clock,
    private readonly refreshEveryMs = 2_000,
  ) {}

  session(siteId: string, sessionId: string): SessionFacts | null {
    const entry = this.bySite.get(siteId)?.get(sessionId);
    if (entry) return { contractId: entry.contractId, startedAtMs: entry.startedAtMs };
    const last = this.lastRefresh.get(siteId) ?? -Infinity;
    if (this.clock.now() - last >= this.refreshEveryMs) void this.refresh(siteId);
    return null;
  }

  tariffs(siteId: string): readonly Tariff[] {
    try {
      const doc = this.peer.currentDoc(this.peer.configs.urlOf(siteId)) as ConfigDocument | null;
      return Array.isArray(doc?.tariffs) ? doc.tariffs : [];
    } catch {
      return [];
    }
  }

  /** The OCPI tariffs of the site's config document, read once per published text (null when none or unreadable). */
  ocpiTariffs(siteId: string): HeldOcpiTariffs | null {
    try {
      const doc = this.peer.currentDoc(this.peer.configs.urlOf(siteId)) as ConfigDocument | null;
      const o = doc?.ocpiTariffs;
      const json = o ? String(o.tariffsJson) : "";
      const zone = o ? String(o.timeZone) : "";
      if (!o || !json) {
        this.ocpiRead.delete(siteId);
        return null;
      }
      const last = this.ocpiRead.get(siteId);
      if (last && last.json === json && last.zone === zone) return last.held;
      const r = readConfigOcpiTariffs({ tariffsJson: json, timeZone: zone });
      const held = r.ok ? r.value : null;
      this.ocpiRead.set(siteId, { json, zone, held });
      return held;
    } catch {
      return null;
    }
  }

  /** Re-reads a site's journals into the cache; resolves when done (errors leave the cache as it was). */
  async refresh(siteId: string): Promise<void> {
    if (this.refreshing.has(siteId)) return;
    this.refreshing.add(siteId);
    this.lastRefresh.set(siteId, this.clock.now());
    try {
      const entries = await this.readJournals(siteId);
      const map = new Map<string, JournalEntry>();
      for (const e of entries.slice(-MAX_CACHED_PER_SITE)) map.set(e.sessionId, e);
      this.bySite.set(siteId, map);
    } catch {
      // the site's documents are not all here yet; the next miss tries again
    } finally {
      this.refreshing.delete(siteId);
    }
  }

  /** The sessions of these contracts on every site, newest first, at most `limit`, each with its receipt flag from `hasReceipt`. */
  async history(
    contracts: ReadonlySet<string>,
    limit: number,
    hasReceipt: (sessionId: string) => boolean,
  ): Promise<HistorySession[]> {
    const out: HistorySession[] = [];
    for (const { siteId } of this.peer.syncState()) {
      let entries: JournalEntry[];
      try {
        entries = await this.readJournals(siteId);
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.contractId || !contracts.has(e.contractId)) continue;
        out.push({
          sessionId: e.sessionId,
          siteId,
          stallId: e.stallId,
          contractId: e.contractId,
          startedAtMs: e.startedAtMs,
          endedAtMs: e.endedAtMs,
          state: e.state,
          energyWh: e.begin && e.end ? Math.max(0, e.end.registerWh - e.begin.registerWh) : null,
          hasReceipt: hasReceipt(e.sessionId),
        });
      }
    }
    return out.sort((a, b) => b.startedAtMs - a.startedAtMs).slice(0, limit);
  }

  /** One session of these contracts, or null. */
  async find(contracts: ReadonlySet<string>, sessionId: string): Promise<HistorySession | null> {
    return (
      (await this.history(contracts, 10_000, () => false)).find((s) => s.sessionId === sessionId) ?? null
    );
  }

  private async readJournals(siteId: string): Promise<JournalEntry[]> {
    const view = await this.peer.siteView(siteId);
    const out: JournalEntry[] = [];
    for (const { doc } of view.documents) {
      const sessions = (doc as { sessions?: unknown; day?: unknown } | null)?.sessions;
      if (
        typeof (doc as { day?: unknown })?.day !== "string" ||
        typeof sessions !== "object" ||
        sessions === null
      )
        continue;
      for (const raw of Object.values(sessions)) {
        const r = journalEntrySchema.safeParse(raw);
        if (r.success) out.push(r.data);
      }
    }
    return out;
  }
}
