/**
 * The site's power manager: turns allocator plans into power-stage limits without ever letting the
 * site exceed a limit in transition, and keeps the plan current (closed loop).
 *
 * Safety rule. For every stall the manager keeps a budget: the most the stage may be enforcing, i.e.
 * the maximum of its last confirmed limit, every written but unconfirmed limit, and what its status
 * reports as applied or requested (`stageCommands.ts`); a stage out of contact is also budgeted at its
 * own fallback limit (it may fall back any moment). A write is confirmed by the stage's
 * acknowledgement or its status reporting the limit applied, never by a low measured draw.
 *   - A decrease is written at once, to every stall that must go down (a cut with no notice is in
 *     force within the slowest stage's reaction delay); the budget drops only on confirmation.
 *   - An increase is written only when the stall's new budget fits every node on its path, counting
 *     every other stall at its budget; the budget rises before the write.
 * So the sum of budgets under a node never exceeds its limit, except after the limit itself was cut
 * and until the decreases are confirmed.
 *
 * Faults. A write neither acknowledged nor reported within its timeout is sent again; after
 * `maxRetries` lost writes in a row (or at once, for a decrease while a limit is exceeded), and
 * whenever the stage reports no contact or a fault, the stall is faulted: alarmed, reserved at its
 * budget in every plan, never raised, and taken back once it answers and confirms again.
 *
 * Re-plans: explicitly (`replan`, plug-in/unplug from the orchestrator, `setLimits`), on a fault or
 * recovery, and from `tick()` when a car pauses, resumes, tapers or leaves headroom
 * (`replanTriggers.ts`). Requests made in the same turn are coalesced into one plan.
 */
import {
  ChargemeshError,
  allocatePower,
  indexLimitTree,
  DEFAULT_RECLAIM_MARGIN_W,
} from "@chargemesh/shared-model";
import type {
  IndexedLimitTree,
  LimitNode,
  PowerPlanInput,
  Result,
  StallBinding,
  StallId,
  StallPowerInput,
} from "@chargemesh/shared-model";
import type { PowerStageStatus } from "@chargemesh/hal";
import type { PowerCoordinator } from "../session/sessionOrchestrator.js";
import { replanTrigger, URGENT_TRIGGERS } from "./replanTriggers.js";
import { StageCommands } from "./stageCommands.js";
import type {
  ManagedStall,
  PlanRecord,
  PowerAlarm,
  PowerAlarmCode,
  PowerManagerOptions,
} from "./powerManagerTypes.js";

export type {
  ManagedStall,
  PlanRecord,
  PlanStatus,
  PowerAlarm,
  PowerAlarmCode,
  PowerManagerOptions,
} from "./powerManagerTypes.js";

/** Stage states in which the controller has no contact with the stage. */
export const NO_CONTACT: ReadonlySet<string> = new Set(["faulted", "unreachable"]);

interface StallState {
  readonly cfg: ManagedStall;
  readonly cmd: StageCommands;
  path: readonly number[];
  charging: boolean;
  sinceMs: number;
  faulted: boolean;
  faultedAtMs: number;
  alarm: PowerAlarm | null;
  /** What the plan wants the stage to hold, W. */
  targetW: number;
  binding: StallBinding | null;
  plannedAcceptanceW: number;
  /** The write whose timeout is armed, or null (none in flight, or the last one was refused). */
  awaitingId: number | null;
  /** Since when the car draws at least the reclaim margin under its grant (tick-sampled), or null. */
  underSinceMs: number | null;
  /** Since when a car that says nothing draws (almost) nothing, or null. */
  idleSinceMs: number | null;
  parked: boolean;
  probeUntilMs: number;
  nextProbeMs: number;
  /** Unanswered probes since parking (each doubles the wait before the next, up to 8x). */
  probesUnanswered: number;
  unsubscribe: () => void;
}

export class PowerManager implements PowerCoordinator {
  private readonly stalls = new Map<StallId, StallState>();
  private readonly ordered: StallState[] = [];
  private limits: LimitNode;
  private tree: IndexedLimitTree;
  private readonly listeners = new Set<(plan: PlanRecord) => void>();
  private current: PlanRecord | null = null;
  private currentApplied = true;
  private seq = 0;
  private requested = 0;
  private planGen = 0;
  private reasons: string[] = [];
  private waiters: Array<{ gen: number; resolve: () => void }> = [];
  private planQueued = false;
  private reconciling = false;
  private reconcileAgain = false;
  private lastSoftReplanMs = -Infinity;
  private stopTick: (() => void) | null = null;
  private closed = false;
  private readonly margin: number;

  constructor(private readonly opts: PowerManagerOptions) {
    const tree = indexLimitTree(opts.limits);
    if (!tree.ok) throw tree.error;
    this.limits = opts.limits;
    this.tree = tree.value;
    this.margin = opts.reclaimMarginW ?? DEFAULT_RECLAIM_MARGIN_W;
    const now = opts.clock.now();
    for (const cfg of opts.stalls) {
      const node = this.tree.indexOf.get(cfg.nodeId);
      if (node === undefined)
        throw new ChargemeshError(
          "invalid_input",
          `limit tree has no node ${cfg.nodeId} for stall ${cfg.stallId}`,
        );
      const status = cfg.stage.status();
      const cmd = new StageCommands(status);
      const st: StallState = {
        cfg,
        cmd,
        path: this.tree.path[node]!,
        charging: false,
        sinceMs: 0,
        faulted: false,
        faultedAtMs: now,
        alarm: null,
        targetW: cmd.confirmed(),
        binding: null,
        plannedAcceptanceW: 0,
        awaitingId: null,
        underSinceMs: null,
        idleSinceMs: null,
        parked: false,
        probeUntilMs: 0,
        nextProbeMs: 0,
        probesUnanswered: 0,
        unsubscribe: () => {},
      };
      this.stalls.set(cfg.stallId, st);
      this.ordered.push(st);
      if (NO_CONTACT.has(status.state))
        this.markFaulted(st, contactAlarm(status), `stage ${status.state} at start`);
      st.unsubscribe = cfg.stage.onStatus((s) => this.onStageStatus(st, s));
    }
  }

  /** Applies a first plan (idle stalls to 0) and starts the closed-loop tick. Resolves once applied. */
  start(): Promise<void> {
    const loop = () => {
      if (this.closed) return;
      this.tick();
      this.stopTick = this.opts.scheduler.after(this.opts.tickMs ?? 1_000, loop);
    };
    this.stopTick = this.opts.scheduler.after(this.opts.tickMs ?? 1_000, loop);
    return this.replan("start");
  }

  /** Marks a stall's session as charging or not (PowerCoordinator); the caller then calls `replan`. */
  stallCharging(stallId: StallId, charging: boolean): void {
    const st = this.stalls.get(stallId);
    if (!st || st.charging === charging) return;
    st.charging = charging;
    st.parked = false;
    st.probeUntilMs = 0;
    st.idleSinceMs = null;
    st.underSinceMs = null;
    if (charging) st.sinceMs = this.opts.clock.now();
  }

  /** Re-plans and applies safely; resolves when a plan computed after this call is applied (every
   *  stall not faulted confirmed its setpoint), or when the manager closes. Never rejects. */
  replan(reason: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.reasons.push(reason);
    const gen = ++this.requested;
    const done = new Promise<void>((resolve) => this.waiters.push({ gen, resolve }));
    if (!this.planQueued) {
      this.planQueued = true;
      queueMicrotask(() => {
        this.planQueued = false;
        this.computePlan();
      });
    }
    return done;
  }

  /** Replaces the limit tree (config document or demand-response signal) and re-plans at once:
   *  every stall that must go down is lowered in the same instant. Resolves once the new plan is
   *  applied; fails with `invalid_input` (and keeps the old limits) when the tree is malformed or a
   *  stall's node is gone. */
  async setLimits(root: LimitNode, reason = "limit-change"): Promise<Result<true>> {
    const tree = indexLimitTree(root);
    if (!tree.ok) return tree;
    for (const st of this.ordered) {
      if (!tree.value.indexOf.has(st.cfg.nodeId)) {
        return {
          ok: false,
          error: new ChargemeshError(
            "invalid_input",
            `limit tree has no node ${st.cfg.nodeId} for stall ${st.cfg.stallId}`,
          ),
        };
      }
    }
    this.limits = root;
    this.tree = tree.value;
    for (const st of this.ordered) st.path = this.tree.path[this.tree.indexOf.get(st.cfg.nodeId)!]!;
    await this.replan(reason);
    return { ok: true, value: true };
  }

  /** The latest plan (inputs, setpoints, reasons, time, alarms), or null before the first. */
  currentPlan(): PlanRecord | null {
    return this.current;
  }

  /** Subscribes to every plan as it is computed, applied or abandoned, and to alarm changes. */
  onPlan(listener: (plan: PlanRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The most each stall may be drawing now (its budget), W. */
  possibleDraw(): ReadonlyMap<StallId, number> {
    return new Map(this.ordered.map((st) => [st.cfg.stallId, this.budget(st)]));
  }

  /** Stalls alarmed now (for the kiosk and the local API), in stall order. */
  alarms(): readonly PowerAlarm[] {
    return this.ordered.flatMap((st) => (st.alarm ? [{ ...st.alarm, reservedW: this.budget(st) }] : []));
  }

  /** One closed-loop step: detects faults, recoveries, pauses, resumes, taper and headroom, retries
   *  what is pending, and re-plans when the plan in force is stale. Never throws. */
  tick(): void {
    if (this.closed) return;
    const now = this.opts.clock.now();
    let urgent: string | null = null;
    let soft: string | null = null;
    for (const st of this.ordered) {
      const status = st.cfg.stage.status();
      if (!st.faulted && NO_CONTACT.has(status.state)) {
        this.fault(st, contactAlarm(status), `stage ${status.state}`);
        continue;
      }
      st.cmd.reported(status);
      if (st.faulted) {
        // a faulted stage that answers again gets what it refused sent again (once per tick)
        if (!NO_CONTACT.has(status.state) && st.awaitingId === null && !st.cmd.settled())
          this.write(st, this.wanted(st, status));
        const budget = this.budget(st, status);
        const reserved = this.reservedInPlan(st);
        if (budget > reserved)
          urgent = "reservation"; // it may draw more than the plan set aside
        else if (budget + (this.opts.hysteresisW ?? 500) < reserved) soft = "reservation"; // it confirmed a lower limit
        if (this.recoverable(st, status, now)) {
          st.faulted = false;
          st.alarm = null;
          urgent = "recovered";
        }
        continue;
      }
      this.sampleUnder(st, status.measuredW, now);
      const park = this.samplePark(st, status.measuredW, now);
      if (park) {
        urgent = park;
        continue;
      }
      const t = replanTrigger(
        {
          charging: st.charging,
          acceptanceW: this.acceptance(st),
          plannedAcceptanceW: st.plannedAcceptanceW,
          setpointW: st.targetW,
          binding: st.binding,
          measuredW: status.measuredW,
          settled: this.settled(st, now),
          minW: st.cfg.stage.minW,
        },
        { hysteresisW: this.opts.hysteresisW ?? 500, reclaimMarginW: this.margin },
      );
      if (t && URGENT_TRIGGERS.has(t)) urgent = t;
      else if (t) soft = t;
    }
    this.reconcile();
    if (urgent) void this.replan(urgent);
    else if (soft && now - this.lastSoftReplanMs >= (this.opts.minSoftReplanMs ?? 5_000)) {
      this.lastSoftReplanMs = now;
      void this.replan(soft);
    }
  }

  /** Stops the tick and detaches from the stages; pending replans resolve. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTick?.();
    for (const st of this.ordered) st.unsubscribe();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private budget(st: StallState, status: PowerStageStatus = st.cfg.stage.status()): number {
    return st.cmd.budgetW(status, NO_CONTACT.has(status.state) ? st.cfg.safeLimitW : 0);
  }

  private acceptance(st: StallState): number {
    if (!st.charging) return 0;
    const a = st.cfg.acceptanceW();
    if (a !== null) return Math.max(0, Math.floor(a));
    if (st.parked) return this.opts.clock.now() < st.probeUntilMs ? st.cfg.stage.minW : 0;
    return st.cfg.stage.maxW;
  }

  private settled(st: StallState, now: number): boolean {
    return (
      st.underSinceMs !== null && st.targetW > 0 && now - st.underSinceMs >= (this.opts.settleMs ?? 10_000)
    );
  }

  /** Tick-time sampling for `settled`: does the car draw at least the margin under its grant? Only a
   *  confirmed grant can start or end the count. */
  private sampleUnder(st: StallState, measuredW: number, now: number): void {
    if (!st.cmd.settled() || st.cmd.confirmed() !== st.targetW) return;
    const under = st.charging && st.targetW > 0 && measuredW + this.margin <= st.targetW;
    if (!under) st.underSinceMs = null;
    else st.underSinceMs ??= now;
  }

  /** Tick-time parking of cars that say nothing and draw nothing for long; returns a re-plan reason
   *  when parking, a probe, or a resumption changes what the car is offered. */
  private samplePark(st: StallState, measuredW: number, now: number): string | null {
    const idleW = this.opts.idleW ?? 100;
    if (!st.charging || st.cfg.acceptanceW() !== null) {
      st.idleSinceMs = null;
      if (!st.parked) return null;
      st.parked = false;
      return "resume";
    }
    if (st.parked) {
      if (st.probeUntilMs > 0) {
        if (measuredW > idleW) {
          st.parked = false;
          st.probeUntilMs = 0;
          return "resume";
        }
        if (now < st.probeUntilMs) return null;
        st.probeUntilMs = 0;
        st.probesUnanswered = Math.min(3, st.probesUnanswered + 1);
        st.nextProbeMs = now + (this.opts.probeEveryMs ?? 30_000) * 2 ** st.probesUnanswered;
        return "probe-ended";
      }
      if (now < st.nextProbeMs) return null;
      st.probeUntilMs = now + (this.opts.probeMs ?? 10_000) + st.cfg.stage.reactionDelayMs;
      return "probe-parked";
    }
    if (!st.cmd.settled() || st.cmd.confirmed() !== st.targetW) return null;
    if (st.targetW === 0 || measuredW > idleW) {
      st.idleSinceMs = null;
      return null;
    }
    st.idleSinceMs ??= now;
    if (now - st.idleSinceMs < (this.opts.parkAfterMs ?? 600_000)) return null;
    st.idleSinceMs = null;
    st.parked = true;
    st.probesUnanswered = 0;
    st.nextProbeMs = now + (this.opts.probeEveryMs ?? 30_000);
    return "car-idle";
  }

  /** What the plan in force set aside for the stall, W. */
  private reservedInPlan(st: StallState): number {
    return this.current?.plan.setpoints.find((sp) => sp.stallId === st.cfg.stallId)?.setpointW ?? 0;
  }

  /** A faulted stall is taken back once it answers, has confirmed every write, and (when it was
   *  faulted for lost writes) has acknowledged one since, after `recoverAfterMs` without new trouble. */
  private recoverable(st: StallState, status: PowerStageStatus, now: number): boolean {
    const proven = st.alarm?.code !== "limit_not_confirmed" || st.cmd.acknowledgedSinceReset;
    return (
      !NO_CONTACT.has(status.state) &&
      st.cmd.settled() &&
      proven &&
      now - st.faultedAtMs >= (this.opts.recoverAfterMs ?? 30_000)
    );
  }

  private onStageStatus(st: StallState, s: PowerStageStatus): void {
    if (this.closed) return;
    if (!st.faulted && NO_CONTACT.has(s.state)) this.fault(st, contactAlarm(s), `stage ${s.state}`);
    else this.reconcile();
  }

  private markFaulted(st: StallState, code: PowerAlarmCode, detail: string): void {
    const now = this.opts.clock.now();
    st.faulted = true;
    st.faultedAtMs = now;
    st.underSinceMs = null;
    st.idleSinceMs = null;
    st.alarm = { stallId: st.cfg.stallId, code, sinceMs: now, reservedW: this.budget(st), detail };
    st.cmd.acknowledgedSinceReset = false;
    this.opts.log?.warn(
      { stallId: st.cfg.stallId, code, detail, reservedW: st.alarm.reservedW },
      "power stage alarmed; reserving the most it may draw",
    );
  }

  private fault(st: StallState, code: PowerAlarmCode, detail: string): void {
    if (st.faulted) {
      st.faultedAtMs = this.opts.clock.now(); // still failing: recovery waits from now
      return;
    }
    this.markFaulted(st, code, detail);
    const cur = this.current;
    if (cur && !this.currentApplied)
      this.publish({
        ...cur,
        status: "aborted",
        faulted: [...cur.faulted, st.cfg.stallId],
        alarms: this.alarms(),
      });
    void this.replan("fault");
    this.reconcile();
  }

  private buildInputs(now: number): PowerPlanInput {
    const stalls: StallPowerInput[] = this.ordered.map((st) => {
      const status = st.cfg.stage.status();
      const settled = !st.faulted && this.settled(st, now);
      return {
        stallId: st.cfg.stallId,
        nodeId: st.cfg.nodeId,
        maxW: st.cfg.stage.maxW,
        minW: st.cfg.stage.minW,
        acceptanceW: st.faulted ? 0 : this.acceptance(st),
        tier: st.cfg.tier ?? 0,
        weight: st.cfg.weight ?? 1,
        sinceMs: st.sinceMs,
        ...(settled ? { measuredW: status.measuredW, grantedW: st.targetW } : {}),
        inContact: !st.faulted,
        safeLimitW: st.faulted ? 0 : st.cfg.safeLimitW,
        reserveW: this.budget(st, status),
      };
    });
    return { root: this.limits, stalls, reclaimMarginW: this.margin };
  }

  private computePlan(): void {
    if (this.closed) return;
    const now = this.opts.clock.now();
    const gen = this.requested;
    const reason = [...new Set(this.reasons.splice(0))].join("+");
    const inputs = this.buildInputs(now);
    const result = allocatePower(inputs);
    if (!result.ok) {
      this.opts.log?.warn({ code: result.error.code, message: result.error.message }, "power plan rejected");
      this.resolveWaiters(gen);
      return;
    }
    for (const sp of result.value.setpoints) {
      const st = this.stalls.get(sp.stallId)!;
      if (st.faulted) continue;
      st.targetW = sp.setpointW;
      st.binding = sp.binding;
      st.plannedAcceptanceW = this.acceptance(st);
    }
    this.planGen = gen;
    this.currentApplied = false;
    this.publish({
      seq: ++this.seq,
      atMs: now,
      reason,
      inputs,
      plan: result.value,
      status: "applying",
      faulted: [],
      alarms: this.alarms(),
    });
    this.reconcile();
  }

  /** Writes what the plan needs and the budgets allow: every decrease at once, each increase once it
   *  fits; confirms from the stages' status; publishes the plan as applied when every stall holds it. */
  private reconcile(): void {
    if (this.closed) return;
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = true;
    try {
      do {
        this.reconcileAgain = false;
        this.reconcileOnce();
      } while (this.reconcileAgain && !this.closed);
    } finally {
      this.reconciling = false;
    }
  }

  private reconcileOnce(): void {
    const statuses = this.ordered.map((st) => st.cfg.stage.status());
    this.ordered.forEach((st, i) => {
      const status = statuses[i]!;
      st.cmd.reported(status);
      if (NO_CONTACT.has(status.state)) return;
      const want = this.wanted(st, status);
      if (want < st.cmd.commandedW() || (!st.faulted && st.awaitingId === null && !st.cmd.settled()))
        this.write(st, want);
    });
    const budgets = this.ordered.map((st, i) => this.budget(st, statuses[i]!));
    const used = this.tree.limitW.map(() => 0);
    this.ordered.forEach((st, i) => {
      for (const n of st.path) used[n]! += budgets[i]!;
    });
    this.ordered.forEach((st, i) => {
      if (st.faulted || NO_CONTACT.has(statuses[i]!.state) || st.targetW <= st.cmd.commandedW()) return;
      const grow = Math.max(0, st.targetW - budgets[i]!);
      if (st.path.some((n) => used[n]! + grow > this.tree.limitW[n]!)) return;
      for (const n of st.path) used[n]! += grow;
      this.write(st, st.targetW);
    });
    if (
      !this.currentApplied &&
      this.ordered.every((st) => st.faulted || (st.cmd.settled() && st.cmd.confirmed() === st.targetW))
    ) {
      this.currentApplied = true;
      if (this.current) this.publish({ ...this.current, status: "applied", alarms: this.alarms() });
      this.resolveWaiters(this.planGen);
    }
  }

  /** The limit to hold: the plan's target; for a faulted stall never more than it holds already. */
  private wanted(st: StallState, status: PowerStageStatus): number {
    return st.faulted ? Math.min(st.targetW, st.cmd.confirmed(), status.appliedLimitW) : st.targetW;
  }

  private write(st: StallState, limitW: number): void {
    const id = st.cmd.begin(limitW, this.opts.clock.now());
    st.awaitingId = id;
    const timeoutMs =
      this.opts.ackTimeoutMs?.(st.cfg.stage) ??
      st.cfg.stage.reactionDelayMs + Math.max(1_000, st.cfg.stage.reactionDelayMs);
    this.opts.scheduler.after(timeoutMs, () => this.writeTimedOut(st, id));
    let sent: Promise<void>;
    try {
      sent = st.cfg.stage.setLimit(limitW);
    } catch (e) {
      sent = Promise.reject(e);
    }
    sent.then(
      () => {
        if (st.cmd.acknowledged(id)) this.reconcile();
      },
      (e: unknown) => {
        if (st.awaitingId === id) st.awaitingId = null;
        if (this.closed) return;
        const status = st.cfg.stage.status();
        this.fault(
          st,
          NO_CONTACT.has(status.state) ? contactAlarm(status) : "limit_rejected",
          `setLimit(${limitW}) refused: ${e instanceof Error ? e.message : String(e)}`,
        );
      },
    );
  }

  private writeTimedOut(st: StallState, id: number): void {
    if (this.closed || st.awaitingId !== id) return;
    const status = st.cfg.stage.status();
    if (st.cmd.reported(status) || st.cmd.lastUnconfirmed()?.id !== id) {
      this.reconcile();
      return;
    }
    st.awaitingId = null;
    st.cmd.timeouts++;
    if (NO_CONTACT.has(status.state)) return this.fault(st, contactAlarm(status), `stage ${status.state}`);
    const decrease = st.cmd.commandedW() < st.cmd.confirmed();
    if (st.cmd.timeouts > (this.opts.maxRetries ?? 2) || (decrease && this.overLimit(st))) {
      this.fault(
        st,
        "limit_not_confirmed",
        `${st.cmd.timeouts} write(s) of ${st.cmd.commandedW()} W neither acknowledged nor reported applied`,
      );
    }
    this.write(st, this.wanted(st, status));
    this.reconcile();
  }

  /** True when a node on the stall's path is over its limit with every stall at its budget. */
  private overLimit(st: StallState): boolean {
    const used = this.tree.limitW.map(() => 0);
    for (const other of this.ordered) {
      const b = this.budget(other);
      for (const n of other.path) used[n]! += b;
    }
    return st.path.some((n) => used[n]! > this.tree.limitW[n]!);
  }

  private resolveWaiters(gen: number): void {
    const ready = this.waiters.filter((w) => w.gen <= gen);
    this.waiters = this.waiters.filter((w) => w.gen > gen);
    for (const w of ready) w.resolve();
  }

  private publish(record: PlanRecord): void {
    this.current = record;
    for (const l of this.listeners) {
      try {
        l(record);
      } catch {
        // a listener's failure never stops the power loop
      }
    }
  }
}

function contactAlarm(s: PowerStageStatus): PowerAlarmCode {
  return s.state === "unreachable" ? "stage_unreachable" : "stage_faulted";
}
