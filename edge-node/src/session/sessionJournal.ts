import type {
  ContractId,
  JournalEntry,
  SessionId,
  StallId,
  TechnicianAction,
} from "@chargemesh/shared-model";

/**
 * The site's durable record of session lifecycle facts (the day journals). Every method resolves only
 * once the fact is durable on disk; a rejected promise means the fact may not be stored.
 */
export interface SessionJournal {
  /** Stores a new entry; a no-op when an identical sessionId exists (idempotent). */
  open(entry: JournalEntry): Promise<void>;
  /** Merges `patch` into the entry; terminal states are final (a patch that leaves one is ignored). */
  update(
    sessionId: SessionId,
    patch: Partial<Omit<JournalEntry, "sessionId" | "stallId" | "meterId" | "startedAtMs">>,
  ): Promise<void>;
  get(sessionId: SessionId): JournalEntry | null;
  /** The most recently started sessions, newest first. */
  recent(limit: number): JournalEntry[];
  /** Entries not in a terminal state (what recovery after a crash must look at). */
  unfinished(): JournalEntry[];
  /** Sessions per contract that started within [fromMs, toMs), rejected ones left out (risk caps per day). */
  countByContract(contractId: ContractId, fromMs: number, toMs: number): number;
  recordTechnicianAction(action: TechnicianAction): Promise<void>;
  /** Stall out-of-service flags as the journal last recorded them. */
  outOfService(): ReadonlyMap<StallId, TechnicianAction>;
}
