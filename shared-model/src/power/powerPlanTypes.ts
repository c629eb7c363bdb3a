/**
 * Inputs and outputs of the power allocator (`powerAllocator.ts`). All powers are integer watts.
 * Plans are plain JSON-serialisable data so the edge node can show them on its local API.
 */
import type { StallId } from "../ids.js";

/** One node of the site's limit tree (site -> cabinets -> phases). Every node is a limit in W. */
export interface LimitNode {
  readonly id: string;
  /** The most the subtree below this node may draw at once, integer W >= 0. */
  readonly limitW: number;
  readonly children?: readonly LimitNode[];
}

/** What the allocator needs to know about one stall at the moment of planning. */
export interface StallPowerInput {
  readonly stallId: StallId;
  /** The limit-tree node the stall hangs from (usually a leaf); the stall draws through every node on
   *  the path from the root to this node. */
  readonly nodeId: string;
  /** Hardware maximum of the stall, W. */
  readonly maxW: number;
  /** Lowest non-zero setpoint (AC: 6 A per phase); a stall gets either 0 or at least this. */
  readonly minW: number;
  /** What the car accepts now (its taper at the present state of charge), W; 0 when no car, car full,
   *  or the session is not charging. */
  readonly acceptanceW: number;
  /** Priority tier, 0 = served first. Tiers are served strictly in order. */
  readonly tier: number;
  /** Weight within the tier (> 0): weighted max-min fairness gives shares proportional to weight. */
  readonly weight: number;
  /** When the car was plugged in (ms); earlier cars keep their minimum when not every minimum fits. */
  readonly sinceMs: number;
  /** Settled measured draw, W: present only when the stall has held `grantedW` long enough for the
   *  draw to mean something. A car drawing clearly less than granted has its headroom reclaimed. */
  readonly measuredW?: number;
  /** The setpoint currently in force at the stall, W (used with `measuredW`). */
  readonly grantedW?: number;
  /** False when the stall lost contact with the controller (or faulted): it then falls back to its own
   *  safe limit and the plan reserves `max(safeLimitW, reserveW)` for it. */
  readonly inContact: boolean;
  readonly safeLimitW: number;
  /** For a stall out of contact: the highest limit it may still be enforcing (last applied limit). */
  readonly reserveW?: number;
}

export interface PowerPlanInput {
  readonly root: LimitNode;
  readonly stalls: readonly StallPowerInput[];
  /** A car whose settled draw is at least this below its grant is capped at draw + this margin
   *  (default 500 W; 0 turns reclaiming off). */
  readonly reclaimMarginW?: number;
}

/**
 * Why a stall got what it got:
 * - `no_demand`: nothing to give (no car, car full, not charging).
 * - `out_of_contact`: reserved at its safe/last limit; the controller cannot command it.
 * - `car_acceptance` / `stall_max` / `measured_draw`: it got its whole demand; the named factor set it.
 * - `node_limit`: water-filling stopped at `bindingNodeId` (saturated); it got its fair share there.
 * - `minimum_unavailable`: its minimum did not fit at `bindingNodeId`, so it gets 0.
 */
export type StallBinding =
  | "no_demand"
  | "out_of_contact"
  | "car_acceptance"
  | "stall_max"
  | "measured_draw"
  | "node_limit"
  | "minimum_unavailable";

export interface StallSetpoint {
  readonly stallId: StallId;
  /** Integer W. For an out-of-contact stall: the amount reserved for it. */
  readonly setpointW: number;
  /** What the stall would take if power were unlimited (0 when no demand). */
  readonly demandW: number;
  readonly tier: number;
  readonly binding: StallBinding;
  readonly bindingNodeId: string | null;
}

export interface NodeUsage {
  readonly nodeId: string;
  readonly limitW: number;
  /** Setpoints of in-contact stalls below this node. */
  readonly allocatedW: number;
  /** Reservations for out-of-contact stalls below this node. */
  readonly reservedW: number;
  /** True when reservations alone exceed the limit (the plan cannot be made safe). */
  readonly overcommitted: boolean;
}

export interface PowerPlan {
  /** One entry per stall, sorted by stall ID. */
  readonly setpoints: readonly StallSetpoint[];
  /** One entry per limit-tree node, in canonical order (depth-first, children sorted by ID). */
  readonly nodes: readonly NodeUsage[];
  /** Sum of all setpoints and reservations, W. */
  readonly totalW: number;
}
