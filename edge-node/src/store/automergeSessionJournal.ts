import type { DocHandle } from "@automerge/automerge-repo";
import type { ContractId, SessionId, StallId } from "@chargemesh/shared-model";
import type { SessionEntry, SessionJournal, TechnicianAction } from "../session/sessionJournal.js";
import { terminalStates } from "../session/sessionJournal.js";
import type { SiteRepo } from "./siteRepo.js";
import { utcDay } from "./utcDay.js";

/** A day journal: the lifecycle facts of the sessions that started that UTC day, and technician actions. */
export interface DayJournalDoc {
  schemaVersion: number;
  siteId: string;
  day: string;
  sessions: Record<string, SessionEntry>;
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
  private readonly entries = new Map<SessionId, SessionEntry>();
  private readonly actions: TechnicianAction[] = [];

  private constructor(
    private readonly site: SiteRepo,
    private readonly siteId: string,
  ) {}

  /** Loads every indexed day journal into memory; with `withArchive`, the archived days too (audit export). */
  static async open(site: SiteRepo, siteId: string, opts: { withArchive?: boolean } = {}): Promise<AutomergeSessionJournal> {
    const j = new AutomergeSessionJournal(site, siteId);
    const days = Object.keys(site.root.doc().journals).sort();
    const docs: DayJournalDoc[] = [];
    if (opts.withArchive) {
      for (const [key, url] of Object.entries(site.root.doc().archived ?? {})) if (key.startsWith("journals/")) docs.push(site.archivedDocument<DayJournalDoc>(url));
    }
    for (const day of days) docs.push((await site.repo.find<DayJournalDoc>(site.root.doc().journals[day] as never)).doc());
    for (const doc of docs) {
      for (const [id, e] of Object.entries(doc.sessions)) j.entries.set(id as SessionId, plain(e));
      j.actions.push(...doc.technicianActions.map((a) => plain(a)));
    }
    j.actions.sort((a, b) => a.at - b.at);
    return j;
  }

  private journalOf(dayMs: number): Promise<DocHandle<DayJournalDoc>> {
    const day = utcDay(dayMs);
    return this.site.findOrCreate<DayJournalDoc>("journals", day, () => ({ schemaVersion: 1, siteId: this.siteId, day, sessions: {}, technicianActions: [] }));
  }

  async open(entry: SessionEntry): Promise<void> {
    if (this.entries.has(entry.sessionId)) return;
    const handle = await this.journalOf(entry.startedAtMs);
    const value = plain(entry);
    handle.change((d) => {
      if (!d.sessions[entry.sessionId]) d.sessions[entry.sessionId] = value;
    });
    await this.site.flush([handle.documentId]);
    this.entries.set(entry.sessionId, value);
  }

  async update(sessionId: SessionId, patch: Partial<SessionEntry>): Promise<void> {
    const current = this.entries.get(sessionId);
    if (!current) throw new Error(`no session ${sessionId} in the journal`);
    if (terminalStates.has(current.state)) return;
    const next = plain({ ...current, ...patch }) as SessionEntry;
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

  /** Drops an archived day's sessions from memory (they stay in the archive); open sessions are never dropped. */
  forgetDay(day: string): void {
    for (const [id, e] of this.entries) if (utcDay(e.startedAtMs) === day && terminalStates.has(e.state)) this.entries.delete(id);
  }

  get(sessionId: SessionId): SessionEntry | null {
    return this.entries.get(sessionId) ?? null;
  }

  recent(limit: number): SessionEntry[] {
    return [...this.entries.values()].sort((a, b) => b.startedAtMs - a.startedAtMs || (a.sessionId < b.sessionId ? 1 : -1)).slice(0, limit);
  }

  all(): SessionEntry[] {
    return [...this.entries.values()];
  }

  unfinished(): SessionEntry[] {
    return [...this.entries.values()].filter((e) => !terminalStates.has(e.state));
  }

  countByContract(contractId: ContractId, fromMs: number, toMs: number): number {
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.contractId === contractId && e.startedAtMs >= fromMs && e.startedAtMs < toMs && e.state !== "rejected") n++;
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
