import type { DocHandle } from "@automerge/automerge-repo";
import type { ContractId, SessionId, StallId } from "@chargemesh/shared-model";
import type { SessionJournal } from "../session/sessionJournal.js";
import type { JournalEntry, TechnicianAction } from "@chargemesh/shared-model";
import { TERMINAL_SITE_STATES } from "@chargemesh/shared-model";
import type { SiteRepo } from "./siteRepo.js";
import { utcDay } from "./utcDay.js";

/** A day journal: the lifecycle facts of the sessions that started that UTC day, and technician actions. */
export interface DayJournal {
  schemaVersion: number;
  siteId: string;
  day: string;
  sessions: Record<string, JournalEntry>;
  technicianActions: TechnicianAction[];
}

/** Automerge stores no `undefined`; facts are plain JSON values. */
function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * SessionJournal on the site's day journal documents. A session lives in the journal of the day it
 * started; every write is flushed before it resolves; terminal states are never left.
 */
export class AutomergeSessionJournal implements SessionJournal {
  private readonly entries = new Map<SessionId, JournalEntry>();
  private readonly actions: TechnicianAction[] = [];

  private constructor(
    private readonly site: SiteRepo,
    private readonly siteId: string,
  ) {}

  /** Loads every indexed day journal into memory (one under repair is left out until `adoptDay`); with `withArchive`, the archived days too (audit export). */
  static async open(
    site: SiteRepo,
    siteId: string,
    opts: { withArchive?: boolean } = {},
  ): Promise<AutomergeSessionJournal> {
    const j = new AutomergeSessionJournal(site, siteId);
    const days = Object.keys(site.root.doc().journals)
      .filter((day) => !site.isUnderRepair(site.root.doc().journals[day]!))
      .sort();
    const docs: DayJournal[] = [];
    if (opts.withArchive) {
      for (const [key, url] of Object.entries(site.root.doc().archived ?? {}))
        if (key.startsWith("journals/")) docs.push(site.archivedDocument<DayJournal>(url));
    }
    for (const day of days)
      docs.push((await site.repo.find<DayJournal>(site.root.doc().journals[day] as never)).doc());
    for (const doc of docs) {
      for (const [id, e] of Object.entries(doc.sessions)) j.entries.set(id as SessionId, plain(e));
      j.actions.push(...doc.technicianActions.map((a) => plain(a)));
    }
    j.actions.sort((a, b) => a.at - b.at);
    return j;
  }

  private journalOf(dayMs: number): Promise<DocHandle<DayJournal>> {
    const day = utcDay(dayMs);
    return this.site.findOrCreate<DayJournal>("journals", day, () => ({
      schemaVersion: 1,
      siteId: this.siteId,
      day,
      sessions: {},
      technicianActions: [],
    }));
  }

  async open(entry: JournalEntry): Promise<void> {
    if (this.entries.has(entry.sessionId)) return;
    const handle = await this.journalOf(entry.startedAtMs);
    const value = plain(entry);
    handle.change((d) => {
      if (!d.sessions[entry.sessionId]) d.sessions[entry.sessionId] = value;
    });
    await this.site.flush([handle.documentId]);
    this.entries.set(entry.sessionId, value);
  }

  async update(sessionId: SessionId, patch: Partial<JournalEntry>): Promise<void> {
    const current = this.entries.get(sessionId);
    if (!current) throw new Error(`no session ${sessionId} in the journal`);
    if (TERMINAL_SITE_STATES.has(current.state)) return;
    const next = plain({ ...current, ...patch }) as JournalEntry;
    const handle = await this.journalOf(current.startedAtMs);
    handle.change((d) => {
      const target = d.sessions[sessionId]!;
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined) continue;
        (target as unknown as Record<string, unknown>)[k] = plain(v);
      }
    });
    await this.site.flush([handle.documentId]);
    this.entries.set(sessionId, next);
  }

  /** Takes a repaired day journal's sessions and actions into memory (a session held in memory stays as it is). */
  adoptDay(doc: DayJournal): void {
    for (const [id, e] of Object.entries(doc.sessions))
      if (!this.entries.has(id as SessionId)) this.entries.set(id as SessionId, plain(e));
    const seen = new Set(this.actions.map((a) => JSON.stringify(a)));
    for (const a of doc.technicianActions ?? [])
      if (!seen.has(JSON.stringify(plain(a)))) this.actions.push(plain(a));
    this.actions.sort((a, b) => a.at - b.at);
  }

  /** Drops an archived day's sessions from memory (they stay in the archive); open sessions are never dropped. */
  forgetDay(day: string): void {
    for (const [id, e] of this.entries)
      if (utcDay(e.startedAtMs) === day && TERMINAL_SITE_STATES.has(e.state)) this.entries.delete(id);
  }

  get(sessionId: SessionId): JournalEntry | null {
    return this.entries.get(sessionId) ?? null;
  }

  recent(limit: number): JournalEntry[] {
    return [...this.entries.values()]
      .sort((a, b) => b.startedAtMs - a.startedAtMs || (a.sessionId < b.sessionId ? 1 : -1))
      .slice(0, limit);
  }

  all(): JournalEntry[] {
    return [...this.entries.values()];
  }

  unfinished(): JournalEntry[] {
    return [...this.entries.values()].filter((e) => !TERMINAL_SITE_STATES.has(e.state));
  }

  countByContract(contractId: ContractId, fromMs: number, toMs: number): number {
    let n = 0;
    for (const e of this.entries.values()) {
      if (
        e.contractId === contractId &&
        e.startedAtMs >= fromMs &&
        e.startedAtMs < toMs &&
        e.state !== "rejected"
      )
        n++;
    }
    return n;
  }

  async recordTechnicianAction(action: TechnicianAction): Promise<void> {
    const handle = await this.journalOf(action.at);
    const value = plain(action);
    handle.change((d) => {
      d.technicianActions.push(value);
    });
    await this.site.flush([handle.documentId]);
    this.actions.push(value);
  }

  outOfService(): ReadonlyMap<StallId, TechnicianAction> {
    const latest = new Map<StallId, TechnicianAction>();
    for (const a of this.actions) {
      if (a.action === "out_of_service" || a.action === "return_to_service") latest.set(a.stallId, a);
    }
    for (const [stall, a] of latest) if (a.action !== "out_of_service") latest.delete(stall);
    return latest;
  }
}
