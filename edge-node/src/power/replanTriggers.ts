/**
 * Closed-loop triggers: decides from one stall's present readings whether the plan in force is stale.
 * Pure; the power manager calls it on every tick for every stall.
 */
import type { StallBinding } from "@chargemesh/shared-model";

export interface StallReadings {
  readonly charging: boolean;
  /** Acceptance now (W) and the acceptance the plan in force was computed with. */
  readonly acceptanceW: number;
  readonly plannedAcceptanceW: number;
  /** Setpoint in force (W) and why the plan set it. */
  readonly setpointW: number;
  readonly binding: StallBinding | null;
  readonly measuredW: number;
  /** True once the setpoint has been held long enough for the measured draw to mean something. */
  readonly settled: boolean;
  /** The stall's lowest non-zero setpoint, W. */
  readonly minW: number;
}

export interface TriggerSettings {
  readonly hysteresisW: number;
  readonly reclaimMarginW: number;
}

/** `resume`, `paused` and `demand-up` are urgent (a car starts or stops wanting power); `taper` and
 *  `headroom` follow slow changes and may be rate-limited. */
export type ReplanTrigger = "taper" | "headroom" | "demand-up" | "resume" | "paused";

export const URGENT_TRIGGERS: ReadonlySet<ReplanTrigger> = new Set(["demand-up", "resume", "paused"]);

/** Returns why the stall needs a re-plan, or null when the plan in force still fits it. Never throws. */
export function replanTrigger(r: StallReadings, s: TriggerSettings): ReplanTrigger | null {
  if (!r.charging) return null;
  const accDelta = r.acceptanceW - r.plannedAcceptanceW;
  // The car stopped wanting power (paused, full) while it holds a grant.
  if (accDelta < 0 && r.acceptanceW === 0 && r.setpointW > 0) return "paused";
  // Taper down: the car now takes clearly less than it was given.
  if (accDelta < 0 && r.acceptanceW + s.hysteresisW < r.setpointW) return "taper";
  // A car that wanted nothing at the last plan wants power again.
  if (
    accDelta > s.hysteresisW &&
    r.plannedAcceptanceW < r.minW &&
    r.acceptanceW > r.setpointW + s.hysteresisW
  )
    return "resume";
  // Taper up: it could take clearly more.
  const acceptanceBound =
    r.binding === "car_acceptance" ||
    r.binding === "measured_draw" ||
    r.binding === "no_demand" ||
    r.binding === null;
  if (accDelta > s.hysteresisW && acceptanceBound && r.acceptanceW > r.setpointW + s.hysteresisW)
    return "taper";
  // A reclaimed car that now uses its whole grant wants its acceptance back.
  if (
    r.binding === "measured_draw" &&
    r.setpointW > 0 &&
    r.measuredW + s.reclaimMarginW / 2 >= r.setpointW &&
    r.acceptanceW > r.setpointW
  )
    return "demand-up";
  if (!r.settled || r.setpointW === 0 || s.reclaimMarginW === 0) return null;
  // Headroom: drawing clearly less than granted (and not already reclaimed down to draw + margin,
  // or to the stage minimum).
  if (Math.max(r.minW, r.measuredW + s.reclaimMarginW) + s.hysteresisW <= r.setpointW) return "headroom";
  return null;
}
