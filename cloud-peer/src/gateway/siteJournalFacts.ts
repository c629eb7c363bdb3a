import { decodeSignedRecord, journalEntrySchema, readConfigOcpiTariffs } from "@chargemesh/shared-model";
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
 * the site itself wrote), with the meter time of each session's signed begin record (the record the
 * journal's `begin` names, read from the site's ledger segments; it must name that meter, seq and
 * session, else it counts as not here). The time is read, not verified: it is where the invoice
 * starts only for a session whose records verify, and only such a session is invoiced. Live lookups
 * are synchronous from a cache; a miss, or a session whose begin record is not here yet, schedules a
 * re-read of that site's documents, at most once per `refreshEveryMs`. Entries that fail the journal
 * schema are skipped. Never throws.
 */
export class SiteJournalFacts implements SiteFactsSource {
  private readonly bySite = new Map<string, Map<string, JournalEntry>>();
  /** Per site: the signed begin record's meter time of each cached session whose record was found. */
  private readonly beginBySite = new Map<string, Map<string, number>>();
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
    const beginAtMs = entry ? (this.beginBySite.get(siteId)?.get(sessionId) ?? null) : null;
    if (beginAtMs === null) {
      const last = this.lastRefresh.get(siteId) ?? -Infinity;
      if (this.clock.now() - last >= this.refreshEveryMs) void this.refresh(siteId);
    }
    return entry ? { contractId: entry.contractId, startedAtMs: entry.startedAtMs, beginAtMs } : null;
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
      const documents = await this.siteDocuments(siteId);
      const map = new Map<string, JournalEntry>();
      for (const e of journalEntries(documents).slice(-MAX_CACHED_PER_SITE)) map.set(e.sessionId, e);
      const known = this.beginBySite.get(siteId);
      const begins = new Map<string, number>();
      let records: Map<string, unknown> | null = null;
      for (const [id, e] of map) {
        const had = known?.get(id);
        if (had !== undefined) begins.set(id, had);
        else if (e.begin) {
          records ??= segmentRecords(documents);
          const at = beginRecordTime(records, e);
          if (at !== null) begins.set(id, at);
        }
      }
      this.bySite.set(siteId, map);
      this.beginBySite.set(siteId, begins);
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

  private async siteDocuments(siteId: string): Promise<readonly unknown[]> {
    return (await this.peer.siteView(siteId)).documents.map((d) => d.doc);
  }

  private async readJournals(siteId: string): Promise<JournalEntry[]> {
    return journalEntries(await this.siteDocuments(siteId));
  }
}

/** The entries of every day journal among a site's documents that pass the journal schema. */
function journalEntries(documents: readonly unknown[]): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const doc of documents) {
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

/** The shipped records of every ledger segment among a site's documents, by `meter/seq` key. */
function segmentRecords(documents: readonly unknown[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const doc of documents) {
    const d = doc as { meterId?: unknown; records?: unknown } | null;
    if (typeof d?.meterId !== "string" || typeof d.records !== "object" || d.records === null) continue;
    for (const [key, value] of Object.entries(d.records)) out.set(key, value);
  }
  return out;
}

/** The meter time of the signed record the entry's `begin` names, when it is here and names that meter, seq and session; else null. */
function beginRecordTime(records: ReadonlyMap<string, unknown>, e: JournalEntry): number | null {
  if (!e.begin) return null;
  const shipped = records.get(`${e.begin.meterId}/${e.begin.seq}`);
  if (!(shipped instanceof Uint8Array)) return null;
  const decoded = decodeSignedRecord(shipped);
  if (!decoded.ok) return null;
  const b = decoded.value.body;
  return b.meterId === e.begin.meterId && b.seq === e.begin.seq && b.sessionId === e.sessionId
    ? b.meterTimeMs
    : null;
}
