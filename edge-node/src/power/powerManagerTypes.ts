/** Configuration and published plan records of the power manager (`powerManager.ts`). */
import type { Clock, StallId } from "@chargemesh/shared-model";
import type { LimitNode, PowerPlan, PowerPlanInput } from "@chargemesh/shared-model";
import type { PowerStage } from "@chargemesh/hal";
import type { Scheduler } from "./scheduler.js";

export interface ManagedStall {
  readonly stallId: StallId;
  /** The limit-tree node the stall hangs from. */
  readonly nodeId: string;
  readonly stage: PowerStage;
  /** What the stall falls back to on its own when it loses contact with the controller, W. */
  readonly safeLimitW: number;
  readonly tier?: number;
  readonly weight?: number;
  /** The car's present acceptance (taper), W; null when the car says nothing (the stage maximum is
   *  assumed and measured headroom does the rest). Usually `link.acceptance()?.maxPowerW`. */
  readonly acceptanceW: () => number | null;
}

export interface PowerManagerOptions {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly limits: LimitNode;
  readonly stalls: readonly ManagedStall[];
  /** How long a stall may take to confirm a new limit before it is faulted; default max(2 s, 3 x its reaction delay). */
  readonly ackTimeoutMs?: (stage: PowerStage) => number;
  /** How often a lowered stall's measured draw is checked while waiting, ms (default 100). */
  readonly pollMs?: number;
  /** How long a car must draw clearly under its confirmed grant (sampled by `tick()`) before the
   *  headroom is reclaimed, ms (default 10 s; a pending raise does not start the count). */
  readonly settleMs?: number;
  readonly reclaimMarginW?: number;
  /** A car drawing at most `idleW` (default 100 W) for `settleMs` is parked (offered 0, its minimum freed)
   *  and offered power again after `parkMs` (default 5 min): cars that say nothing and are full. */
  readonly idleW?: number;
  readonly parkMs?: number;
  /** Changes smaller than this do not cause a re-plan from `tick()`, W (default 500). */
  readonly hysteresisW?: number;
  /** Soft triggers (taper, headroom) re-plan at most this often, ms (default 5 s). */
  readonly minSoftReplanMs?: number;
  /** A faulted stall is taken back only after this long and once its stage reports healthy and
   *  caught up (applied = requested), ms (default 30 s). */
  readonly recoverAfterMs?: number;
  /** Period of the closed-loop `tick()` once `start()` ran, ms (default 1 s). */
  readonly tickMs?: number;
  readonly log?: { warn(o: object, m?: string): void };
}

export type PlanStatus = "applying" | "applied" | "aborted";

/** One plan as the kiosk's live chart and the local API see it. */
export interface PlanRecord {
  readonly seq: number;
  readonly atMs: number;
  readonly reason: string;
  readonly inputs: PowerPlanInput;
  readonly plan: PowerPlan;
  readonly status: PlanStatus;
  /** Stalls faulted while this plan was applied. */
  readonly faulted: readonly StallId[];
}
