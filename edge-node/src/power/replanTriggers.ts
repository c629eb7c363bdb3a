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
}

export interface TriggerSettings {
  readonly hysteresisW: number;
  readonly reclaimMarginW: number;
}

export type SoftTrigger = "taper" | "headroom" | "demand-up";

/** Returns why the stall needs a re-plan, or null when the plan in force still fits it. Never throws. */
export function softTrigger(r: StallReadings, s: TriggerSettings): SoftTrigger | null {
  if (!r.charging) return null;
  const accDelta = r.acceptanceW - r.plannedAcceptanceW;
  // Taper down: the car now takes clearly less than it was given.
  if (accDelta < 0 && r.acceptanceW + s.hysteresisW < r.setpointW) return "taper";
  // Taper up, or a car that wanted nothing at the last plan now wants power: it could take clearly more.
  const acceptanceBound = r.binding === "car_acceptance" || r.binding === "measured_draw" || r.binding === "no_demand" || r.binding === null;
  if (accDelta > s.hysteresisW && acceptanceBound && r.acceptanceW > r.setpointW + s.hysteresisW) return "taper";
  if (!r.settled || r.setpointW === 0 || s.reclaimMarginW === 0) return null;
  // Headroom: drawing clearly less than granted (and not already reclaimed down to draw + margin).
  if (r.measuredW + s.reclaimMarginW + s.hysteresisW <= r.setpointW) return "headroom";
  // A reclaimed car that now uses its whole grant wants its acceptance back.
  if (r.binding === "measured_draw" && r.measuredW + s.reclaimMarginW / 2 >= r.setpointW && r.acceptanceW > r.setpointW) return "demand-up";
  return null;
}
