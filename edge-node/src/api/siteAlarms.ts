import type { JournalEntry } from "@chargemesh/shared-model";
import type { Alarm, SyncState } from "@chargemesh/shared-model/contracts";
import type { PlanRecord } from "../power/powerManagerTypes.js";
import type { StallView } from "../session/sessionOrchestrator.js";

/** Integrity problems other parts of the site found (ledger equivocation, documents that failed to load). */
export interface IntegrityReport {
  readonly equivocations: readonly {
    readonly meterId: string;
    readonly seq: number;
    readonly sinceMs: number | null;
  }[];
  readonly damagedDocuments: readonly {
    readonly document: string;
    readonly file: string | null;
    readonly sinceMs: number | null;
    /** What is wrong (the damaged chunk or the checksum mismatch). */
    readonly reason?: string;
    /** Where the damaged bytes were set aside. */
    readonly quarantinedAt?: string;
    /** Why the last repair attempt did not repair, null before the first answer. */
    readonly lastAttempt?: string | null;
  }[];
}

/** The revocation list the site holds: when it was issued and when it becomes stale (null: none held). */
export interface RevocationStatus {
  readonly issuedAtMs: number | null;
  readonly staleAfterMs: number | null;
}

export interface AlarmInputs {
  readonly nowMs: number;
  readonly stalls: readonly StallView[];
  readonly plan: PlanRecord | null;
  readonly recentSessions: readonly JournalEntry[];
  readonly sync: SyncState | null;
  readonly revocation: RevocationStatus | null;
  readonly integrity: IntegrityReport | null;
  /** Since when each stall has had its meter fault (the caller remembers first sightings). */
  readonly faultSince: (key: string, nowMs: number) => number;
}

/** Refusals for the account's standing are shown this long, ms of the site clock. */
const REFUSAL_WINDOW_MS = 24 * 3_600_000;
const MAX_REFUSALS_SHOWN = 20;
const STANDING_REASONS = new Set(["AccountBlocked", "ContractCancelled"]);

/**
 * Every alarm the site shows its technicians, critical first, each with what to do. Pure: derived
 * from the stall views, the plan in force, recent sessions, sync state, the revocation list's
 * validity and integrity reports.
 */
export function siteAlarms(i: AlarmInputs): Alarm[] {
  const alarms: Alarm[] = [];
  for (const v of i.stalls) {
    if (v.meterFault === null) continue;
    const key = `meter_fault:${v.stallId}`;
    alarms.push({
      id: key,
      kind: "meter_fault",
      severity: "critical",
      sinceMs: i.faultSince(key, i.nowMs),
      title: `Meter fault on ${v.stallId}`,
      detail: `The meter does not answer or reads implausibly: ${v.meterFault}. Sessions on this stall end with a signed fault record.`,
      action:
        "Check the meter's power and its RS-485 cable at the stall. If it stays faulted, take the stall out of service.",
      stallId: v.stallId,
    });
  }
  const faulted = new Set<string>(i.plan?.faulted ?? []);
  for (const sp of i.plan?.plan.setpoints ?? []) if (sp.binding === "out_of_contact") faulted.add(sp.stallId);
  for (const stall of [...faulted].sort()) {
    const key = `stall_fault:${stall}`;
    alarms.push({
      id: key,
      kind: "stall_fault",
      severity: "critical",
      sinceMs: i.faultSince(key, i.nowMs),
      title: `Power stage of ${stall} out of contact`,
      detail:
        "The stall did not confirm its power limit. The site reserves the stall's safe limit for it, so other stalls get less.",
      action:
        "Check the stage's supply and control cable, then power-cycle it. Take the stall out of service until it answers again.",
      stallId: stall,
    });
  }
  for (const e of i.integrity?.equivocations ?? []) {
    alarms.push({
      id: `equivocation:${e.meterId}:${e.seq}`,
      kind: "equivocation",
      severity: "critical",
      sinceMs: e.sinceMs,
      title: `Two different signed records for meter ${e.meterId} seq ${e.seq}`,
      detail:
        "The meter's chain holds two validly signed records for one position. Both are kept; billing of the affected session waits for review.",
      action:
        "Do not reset or replace the meter. Report the meter ID and sequence number to the operator's security contact.",
      stallId: null,
    });
  }
  for (const d of i.integrity?.damagedDocuments ?? []) {
    alarms.push({
      id: `damaged_document:${d.document}`,
      kind: "damaged_document",
      severity: "critical",
      sinceMs: d.sinceMs,
      title: `Damaged document ${d.document}`,
      detail:
        `The document failed to load${d.file ? ` from ${d.file}` : ""}${d.reason ? ` (${d.reason})` : ""}.${d.quarantinedAt ? ` Its damaged bytes are kept in ${d.quarantinedAt}.` : ""} The rest of the site keeps running; the site takes the document back from a cloud peer's copy once the copy's ledger chain verifies.${d.lastAttempt ? ` Last attempt: ${d.lastAttempt}.` : ""}`.slice(
          0,
          2_000,
        ),
      action:
        "Keep the site connected so it can repair the document. If the alarm stays after the link is up, check the controller's storage (disk errors) and report the document ID to the operator.",
      stallId: null,
    });
  }
  const r = i.revocation;
  if (r && (r.staleAfterMs === null || i.nowMs > r.staleAfterMs)) {
    alarms.push({
      id: "stale_revocation_list",
      kind: "stale_revocation_list",
      severity: "warning",
      sinceMs: r.staleAfterMs,
      title: r.issuedAtMs === null ? "No revocation list" : "Revocation list is out of date",
      detail:
        "The site cannot know which contracts were revoked since. Cars charge under the offline policy (capped energy per session).",
      action: "Restore the site's link to the cloud; the list updates on the next sync.",
      stallId: null,
    });
  }
  if (i.sync?.enabled && i.sync.unreachableSinceMs !== null) {
    const minutes = Math.max(0, Math.floor((i.nowMs - i.sync.unreachableSinceMs) / 60_000));
    alarms.push({
      id: "cloud_unreachable",
      kind: "cloud_unreachable",
      severity: minutes >= 60 ? "critical" : "warning",
      sinceMs: i.sync.unreachableSinceMs,
      title: `Cloud unreachable for ${minutes >= 120 ? `${Math.floor(minutes / 60)} h` : `${minutes} min`}`,
      detail:
        "The site keeps charging and records everything locally; documents sync when a cloud peer is reachable again.",
      action:
        "Check the site router and the cellular modem (signal, SIM, power). Nothing is lost while offline.",
      stallId: null,
    });
  }
  const refusals = i.recentSessions
    .filter(
      (s) =>
        s.state === "rejected" &&
        s.authorization &&
        !s.authorization.accepted &&
        STANDING_REASONS.has(s.authorization.reason) &&
        i.nowMs - s.startedAtMs <= REFUSAL_WINDOW_MS,
    )
    .slice(0, MAX_REFUSALS_SHOWN);
  for (const s of refusals) {
    alarms.push({
      id: `payment_standing_refusal:${s.sessionId}`,
      kind: "payment_standing_refusal",
      severity: "warning",
      sinceMs: s.startedAtMs,
      title: `Charging refused on ${s.stallId}: ${s.authorization?.reason === "AccountBlocked" ? "account blocked" : "contract cancelled"}`,
      detail: `Contract ${s.contractId ?? "unknown"} is not in good standing with its provider, so the site did not start the session.`,
      action:
        "Tell the driver to contact their charging provider or pay by another contract. Do not override at the site.",
      stallId: s.stallId,
    });
  }
  return alarms.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1));
}
