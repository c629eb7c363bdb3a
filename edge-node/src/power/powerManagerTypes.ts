/** Configuration, alarms and published plan records of the power manager (`powerManager.ts`). */
import type { Clock, LimitNode, PowerPlan, PowerPlanInput, StallId } from "@chargemesh/shared-model";
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
  /** How long a stage may take to confirm a written limit before the write counts as lost and is
   *  sent again; default its reaction delay + max(1 s, its reaction delay). */
  readonly ackTimeoutMs?: (stage: PowerStage) => number;
  /** Lost writes in a row before the stall is faulted and alarmed (default 2; a lost decrease while
   *  a limit is exceeded faults at once). */
  readonly maxRetries?: number;
  /** How long a car must draw clearly under its grant (sampled by `tick()`) before the headroom is
   *  reclaimed, ms (default 10 s). */
  readonly settleMs?: number;
  readonly reclaimMarginW?: number;
  /** A car that says nothing (acceptance null) and draws at most `idleW` (default 100 W) keeps the
   *  stage minimum as a probe allowance, so it can resume at once; after `parkAfterMs` (default
   *  10 min) of idling it is parked at 0 and offered the minimum for `probeMs` (default 10 s) after
   *  `probeEveryMs` (default 30 s), the wait doubling after each unanswered probe up to 8x. Cars
   *  that state their acceptance are never parked. */
  readonly idleW?: number;
  readonly parkAfterMs?: number;
  readonly probeEveryMs?: number;
  readonly probeMs?: number;
  /** Changes smaller than this do not cause a re-plan from `tick()`, W (default 500). */
  readonly hysteresisW?: number;
  /** Slow triggers (taper, headroom) re-plan at most this often, ms (default 5 s). */
  readonly minSoftReplanMs?: number;
  /** A faulted stall is taken back only after this long and once its stage answers and has
   *  confirmed every write, ms (default 30 s). */
  readonly recoverAfterMs?: number;
  /** Period of the closed-loop `tick()` once `start()` ran, ms (default 1 s). */
  readonly tickMs?: number;
  readonly log?: { warn(o: object, m?: string): void };
}

/**
 * Why a stall is alarmed (shown on the kiosk):
 * - `stage_unreachable` / `stage_faulted`: the stage reports no contact or a fault;
 * - `limit_not_confirmed`: written limits were neither acknowledged nor reported as applied in time;
 * - `limit_rejected`: the stage refused a limit.
 * While alarmed the stall is reserved at `reservedW`, the most it may be drawing.
 */
export type PowerAlarmCode = "stage_unreachable" | "stage_faulted" | "limit_not_confirmed" | "limit_rejected";

export interface PowerAlarm {
  readonly stallId: StallId;
  readonly code: PowerAlarmCode;
  readonly sinceMs: number;
  readonly reservedW: number;
  readonly detail: string;
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
  /** Stalls alarmed now (out of contact, faulted, not confirming limits), with what is reserved. */
  readonly alarms: readonly PowerAlarm[];
}
