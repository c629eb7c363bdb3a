/**
 * The session state lattice. A session's state is the join of what the site says (its day journal)
 * and what the cloud says (its billing day): each side only moves its own facts forward, and the
 * join is commutative, associative and idempotent, so any delivery order gives the same state.
 */
import { TERMINAL_SITE_STATES as TERMINAL_SITE } from "./sessionStates.js";
import type { CloudState, SiteState } from "./sessionStates.js";
export { isTerminalSiteState } from "./sessionStates.js";
export type { CloudState, SiteState } from "./sessionStates.js";
export type SessionState = SiteState | CloudState;

/** Rank of each site state: a later state wins; terminal states are final. */
const SITE_RANK: Record<SiteState, number> = {
  authorizing: 1,
  charging: 2,
  stopping: 3,
  completed: 4,
  rejected: 4,
  failed: 4,
};
/** Rank of each cloud fact: billing moves forward; paid and written_off are final. */
const CLOUD_RANK: Record<CloudState, number> = {
  acknowledged: 1,
  rated: 2,
  invoiced: 3,
  payment_pending: 4,
  payment_retrying: 5,
  declined: 6,
  paid: 7,
  written_off: 7,
};

export interface SessionFacts {
  readonly site: SiteState | null;
  readonly cloud: CloudState | null;
}

/** Joins two site states: the higher rank; between two different terminal states the one first in
 *  the fixed order completed < failed < rejected (deterministic, never reached by one honest writer). */
export function joinSiteState(a: SiteState | null, b: SiteState | null): SiteState | null {
  if (a === null) return b;
  if (b === null || a === b) return a;
  if (SITE_RANK[a] !== SITE_RANK[b]) return SITE_RANK[a] > SITE_RANK[b] ? a : b;
  const order: SiteState[] = ["completed", "failed", "rejected"];
  return order.indexOf(a) <= order.indexOf(b) ? a : b;
}

/** Joins two cloud facts the same way (paid before written_off on a tie). */
export function joinCloudState(a: CloudState | null, b: CloudState | null): CloudState | null {
  if (a === null) return b;
  if (b === null || a === b) return a;
  if (CLOUD_RANK[a] !== CLOUD_RANK[b]) return CLOUD_RANK[a] > CLOUD_RANK[b] ? a : b;
  return a === "paid" || b === "paid" ? "paid" : a < b ? a : b;
}

/** The lattice join of two fact sets (commutative, associative, idempotent). */
export function joinSessionFacts(a: SessionFacts, b: SessionFacts): SessionFacts {
  return { site: joinSiteState(a.site, b.site), cloud: joinCloudState(a.cloud, b.cloud) };
}

/** The one state to show: the cloud's fact once the site's side is terminal, else the site's. */
export function sessionStateOf(f: SessionFacts): SessionState | null {
  if (f.site !== null && TERMINAL_SITE.has(f.site) && f.cloud !== null) return f.cloud;
  return f.site ?? f.cloud;
}
