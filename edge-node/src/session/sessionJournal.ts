import type { ContractId, MeterId, SessionId, StallId, TechnicianId } from "@chargemesh/shared-model";
import type { AuthorizationDecision } from "../auth/authorizer.js";

/** Site-side session states; completed, rejected and failed are terminal. */
export type SiteSessionState = "authorizing" | "charging" | "stopping" | "completed" | "rejected" | "failed";

export type StopReason =
  | "full"
  | "unplugged"
  | "driver_stop"
  | "technician_stop"
  | "meter_fault"
  | "power_fault"
  | "risk_cap"
  | "controller_restart";

export interface RecordRef {
  readonly meterId: MeterId;
  readonly seq: number;
  readonly registerWh: number;
}

/** What the site knows about one session: the facts it writes into its day journal. */
export interface SessionEntry {
  readonly sessionId: SessionId;
  readonly stallId: StallId;
  readonly meterId: MeterId;
  readonly startedAtMs: number;
  readonly state: SiteSessionState;
  readonly contractId: ContractId | null;
  readonly authorization: AuthorizationDecision | null;
  readonly begin: RecordRef | null;
  readonly end: RecordRef | null;
  readonly endedAtMs: number | null;
  readonly stopReason: StopReason | null;
  readonly stoppedBy: TechnicianId | null;
}

export interface TechnicianAction {
  readonly at: number;
  readonly technicianId: TechnicianId;
  readonly action: "stop_session" | "out_of_service" | "return_to_service";
  readonly stallId: StallId;
  readonly sessionId: SessionId | null;
  readonly note: string;
}

/**
 * The site's durable record of session lifecycle facts (the day journals). Every method resolves only
 * once the fact is durable on disk; a rejected promise means the fact may not be stored.
 */
export interface SessionJournal {
  /** Stores a new entry; a no-op when an identical sessionId exists (idempotent). */
  open(entry: SessionEntry): Promise<void>;
  /** Merges `patch` into the entry; terminal states are final (a patch that leaves one is ignored). */
  update(sessionId: SessionId, patch: Partial<Omit<SessionEntry, "sessionId" | "stallId" | "meterId" | "startedAtMs">>): Promise<void>;
  get(sessionId: SessionId): SessionEntry | null;
  /** The most recently started sessions, newest first. */
  recent(limit: number): SessionEntry[];
  /** Entries not in a terminal state (what recovery after a crash must look at). */
  unfinished(): SessionEntry[];
  /** Sessions per contract that started within [fromMs, toMs) (risk caps per day). */
  countByContract(contractId: ContractId, fromMs: number, toMs: number): number;
  recordTechnicianAction(action: TechnicianAction): Promise<void>;
  /** Stall out-of-service flags as the journal last recorded them. */
  outOfService(): ReadonlyMap<StallId, TechnicianAction>;
}

export const terminalStates: ReadonlySet<SiteSessionState> = new Set(["completed", "rejected", "failed"]);
