/**
 * The site's power manager: turns allocator plans into power-stage limits without ever letting the
 * site exceed its limit in transition, and keeps the plan current (closed loop).
 *
 * Safety rule: for every stall the manager tracks `possibleW`, the most the stall may be drawing given
 * what was commanded and confirmed. A plan is applied in two phases:
 *   1. every stall whose setpoint goes down is lowered, all at once; each must acknowledge (its
 *      `setLimit` resolves) or, while a car is charging on it, show a measured draw at or under its
 *      new setpoint, before its timeout.
 *      A stall that does neither is faulted: it is treated as out of contact, the next plan reserves
 *      `max(possibleW, safeLimitW)` for it, and the plan being applied is abandoned (no raises).
 *   2. only then are the stalls that go up raised (their `possibleW` becomes the new setpoint first).
 * Since every plan fits the limit with reservations counted, the sum of `possibleW` never exceeds the
 * limit in force (a lowered limit, e.g. demand response, is exceeded only until phase 1 confirms).
 *
 * Re-plans: explicitly (`replan`, plug-in/unplug from the orchestrator, `setLimits`), on a stage
 * fault or recovery, and from `tick()` on taper changes, measured headroom and reclaimed cars that
 * want power back (see `replanTriggers.ts`). Requests arriving while a plan is applied are coalesced.
 */
import { ChargemeshError } from "@chargemesh/shared-model";
import type { Result, StallId } from "@chargemesh/shared-model";
import { allocatePower, DEFAULT_RECLAIM_MARGIN_W } from "@chargemesh/shared-model";
import { indexLimitTree } from "@chargemesh/shared-model";
import type { LimitNode, PowerPlanInput, StallBinding, StallPowerInput } from "@chargemesh/shared-model";
import type { PowerStage } from "@chargemesh/hal";
import type { PowerCoordinator } from "../session/sessionOrchestrator.js";
import { softTrigger } from "./replanTriggers.js";
import { confirmLimit, NO_CONTACT } from "./limitConfirmation.js";
import type { ConfirmOptions } from "./limitConfirmation.js";
import type { ManagedStall, PlanRecord, PowerManagerOptions } from "./powerManagerTypes.js";

export type { ManagedStall, PlanRecord, PlanStatus, PowerManagerOptions } from "./powerManagerTypes.js";

interface StallState {
  readonly cfg: ManagedStall;
  charging: boolean;
  sinceMs: number;
  inContact: boolean;
  /** The most this stall may be drawing now, given what was commanded and confirmed. */
  possibleW: number;
  setpointW: number;
  binding: StallBinding | null;
  plannedAcceptanceW: number;
  /** Since when the stall has drawn at least the reclaim margin under its confirmed grant (tick-sampled), or null. */
  underSinceMs: number | null;
  /** A raise is commanded but not yet confirmed. */
  raising: boolean;
  idleSinceMs: number | null;
  /** While now < parkedUntilMs the car is treated as wanting nothing. */
  parkedUntilMs: number;
  faultedAtMs: number;
  unsubscribe: () => void;
}

export class PowerManager implements PowerCoordinator {
  private readonly stalls = new Map<StallId, StallState>();
  private limits: LimitNode;
  private readonly listeners = new Set<(plan: PlanRecord) => void>();
  private current: PlanRecord | null = null;
  private seq = 0;
  private requested = 0;
  private completed = 0;
  private reasons: string[] = [];
  private waiters: Array<{ gen: number; resolve: () => void }> = [];
  private running = false;
  private lastSoftReplanMs = -Infinity;
  private stopTick: (() => void) | null = null;
  private closed = false;
  private readonly margin: number;

  constructor(private readonly opts: PowerManagerOptions) {
    const tree = indexLimitTree(opts.limits);
    if (!tree.ok) throw tree.error;
    this.limits = opts.limits;
    this.margin = opts.reclaimMarginW ?? DEFAULT_RECLAIM_MARGIN_W;
    for (const cfg of opts.stalls) {
      const status = cfg.stage.status();
      const st: StallState = {
        cfg,
        charging: false,
        sinceMs: 0,
        inContact: !NO_CONTACT.has(status.state),
        possibleW: Math.max(status.appliedLimitW, status.requestedLimitW, status.measuredW),
        setpointW: status.appliedLimitW,
        binding: null,
        plannedAcceptanceW: 0,
        underSinceMs: null,
        raising: false,
        idleSinceMs: null,
        parkedUntilMs: 0,
        faultedAtMs: opts.clock.now(),
        unsubscribe: () => {},
      };
      if (!st.inContact) st.possibleW = Math.max(st.possibleW, cfg.safeLimitW);
      st.unsubscribe = cfg.stage.onStatus((s) => {
        if (st.inContact && NO_CONTACT.has(s.state)) this.fault(st, `stage ${s.state}`);
      });
      this.stalls.set(cfg.stallId, st);
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
    st.parkedUntilMs = 0;
    st.idleSinceMs = null;
    st.underSinceMs = null;
    if (charging) st.sinceMs = this.opts.clock.now();
  }

  /** Re-plans and applies safely; resolves when a plan computed after this call is applied (a plan
   *  abandoned for a fault is followed by another). Never rejects. */
  replan(reason: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.reasons.push(reason);
    const gen = ++this.requested;
    const done = new Promise<void>((resolve) => this.waiters.push({ gen, resolve }));
    if (!this.running) void this.loop();
    return done;
  }

  /** Replaces the limit tree (config document or demand-response signal) and re-plans; fails with
   *  `invalid_input` (and keeps the old limits) when the tree is malformed or a stall's node is gone. */
  async setLimits(root: LimitNode, reason = "limit-change"): Promise<Result<true>> {
    const tree = indexLimitTree(root);
    if (!tree.ok) return tree;
    for (const st of this.stalls.values()) {
      if (!tree.value.indexOf.has(st.cfg.nodeId)) {
        return { ok: false, error: new ChargemeshError("invalid_input", `limit tree has no node ${st.cfg.nodeId} for stall ${st.cfg.stallId}`) };
      }
    }
    this.limits = root;
    await this.replan(reason);
    return { ok: true, value: true };
  }

  /** The latest plan (inputs, setpoints, reasons, time), or null before the first. */
  currentPlan(): PlanRecord | null {
    return this.current;
  }

  /** Subscribes to every plan as it is computed and when it is applied or abandoned. */
  onPlan(listener: (plan: PlanRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The most each stall may be drawing now (for tests and the kiosk), W. */
  possibleDraw(): ReadonlyMap<StallId, number> {
    return new Map([...this.stalls].map(([id, st]) => [id, st.possibleW]));
  }

  /** One closed-loop step: detects faults, recoveries, taper changes and headroom, and re-plans when
   *  the plan in force is stale. Never throws. */
  tick(): void {
    if (this.closed) return;
    const now = this.opts.clock.now();
    let hard: string | null = null;
    let soft: string | null = null;
    for (const st of this.stalls.values()) {
      const status = st.cfg.stage.status();
      if (st.inContact && NO_CONTACT.has(status.state)) {
        this.fault(st, `stage ${status.state}`);
        continue;
      }
      if (!st.inContact) {
        const healthy = !NO_CONTACT.has(status.state) && status.appliedLimitW === status.requestedLimitW;
        if (!healthy || now - st.faultedAtMs < (this.opts.recoverAfterMs ?? 30_000)) continue;
        st.inContact = true; // back in contact: possibleW still holds the reservation until confirmed
        hard = "recovered";
        continue;
      }
      this.sampleUnder(st, status.measuredW, now);
      const park = this.samplePark(st, status.measuredW, now);
      if (park) {
        soft = null;
        hard ??= park;
        continue;
      }
      const t = softTrigger(
        {
          charging: st.charging,
          acceptanceW: this.acceptance(st),
          plannedAcceptanceW: st.plannedAcceptanceW,
          setpointW: st.setpointW,
          binding: st.binding,
          measuredW: status.measuredW,
          settled: this.settled(st, now),
        },
        { hysteresisW: this.opts.hysteresisW ?? 500, reclaimMarginW: this.margin },
      );
      if (t) soft = t;
    }
    if (hard) void this.replan(hard);
    else if (soft && now - this.lastSoftReplanMs >= (this.opts.minSoftReplanMs ?? 5_000)) {
      this.lastSoftReplanMs = now;
      void this.replan(soft);
    }
  }

  /** Stops the tick and detaches from the stages; pending replans resolve. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTick?.();
    for (const st of this.stalls.values()) st.unsubscribe();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private acceptance(st: StallState): number {
    if (!st.charging || this.opts.clock.now() < st.parkedUntilMs) return 0;
    const a = st.cfg.acceptanceW();
    return a === null ? st.cfg.stage.maxW : Math.max(0, Math.floor(a));
  }

  private settled(st: StallState, now: number): boolean {
    return st.underSinceMs !== null && st.setpointW > 0 && st.possibleW === st.setpointW && now - st.underSinceMs >= (this.opts.settleMs ?? 10_000);
  }

  /** Tick-time parking of cars that draw nothing; returns a re-plan reason when a car is parked or
   *  its parking ends. */
  private samplePark(st: StallState, measuredW: number, now: number): string | null {
    if (st.parkedUntilMs !== 0) {
      if (now < st.parkedUntilMs) return null;
      st.parkedUntilMs = 0;
      return "probe-parked";
    }
    const idle = st.charging && st.setpointW > 0 && st.possibleW === st.setpointW && !st.raising && measuredW <= (this.opts.idleW ?? 100);
    if (!idle) {
      st.idleSinceMs = null;
      return null;
    }
    st.idleSinceMs ??= now;
    if (now - st.idleSinceMs < (this.opts.settleMs ?? 10_000)) return null;
    st.idleSinceMs = null;
    st.parkedUntilMs = now + (this.opts.parkMs ?? 300_000);
    return "car-idle";
  }

  /** Tick-time sampling for `settled`: is the car drawing at least the margin under its grant? */
  private sampleUnder(st: StallState, measuredW: number, now: number): void {
    const under = st.charging && st.setpointW > 0 && st.possibleW === st.setpointW && measuredW + this.margin <= st.setpointW;
    // A car under a lower grant stays under a higher one; a pending raise only cannot start the count.
    if (!under) st.underSinceMs = null;
    else if (st.underSinceMs === null && !st.raising) st.underSinceMs = now;
  }

  private fault(st: StallState, why: string): void {
    if (!st.inContact) return;
    st.inContact = false;
    st.faultedAtMs = this.opts.clock.now();
    st.possibleW = Math.max(st.possibleW, st.cfg.safeLimitW);
    this.opts.log?.warn({ stallId: st.cfg.stallId, why, reservedW: st.possibleW }, "power stage out of contact; reserving its limit");
    void this.replan("fault");
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.completed < this.requested) {
        const gen = this.requested;
        const reason = [...new Set(this.reasons.splice(0))].join("+");
        const applied = await this.applyOnce(reason);
        if (!applied) continue; // a fault queued a follow-up plan; waiters resolve when it lands
        this.completed = gen;
        const ready = this.waiters.filter((w) => w.gen <= gen);
        this.waiters = this.waiters.filter((w) => w.gen > gen);
        for (const w of ready) w.resolve();
      }
    } finally {
      this.running = false;
    }
  }

  private buildInputs(now: number): PowerPlanInput {
    const stalls: StallPowerInput[] = [];
    for (const st of this.stalls.values()) {
      const settled = st.inContact && this.settled(st, now);
      stalls.push({
        stallId: st.cfg.stallId,
        nodeId: st.cfg.nodeId,
        maxW: st.cfg.stage.maxW,
        minW: st.cfg.stage.minW,
        acceptanceW: st.inContact ? this.acceptance(st) : 0,
        tier: st.cfg.tier ?? 0,
        weight: st.cfg.weight ?? 1,
        sinceMs: st.sinceMs,
        ...(settled ? { measuredW: st.cfg.stage.status().measuredW, grantedW: st.setpointW } : {}),
        inContact: st.inContact,
        safeLimitW: st.cfg.safeLimitW,
        reserveW: st.possibleW,
      });
    }
    return { root: this.limits, stalls, reclaimMarginW: this.margin };
  }

  /** Computes and applies one plan; returns false when a stall faulted and the plan was abandoned. */
  private async applyOnce(reason: string): Promise<boolean> {
    const now = this.opts.clock.now();
    const inputs = this.buildInputs(now);
    const result = allocatePower(inputs);
    if (!result.ok) {
      this.opts.log?.warn({ code: result.error.code, message: result.error.message }, "power plan rejected");
      return true;
    }
    const plan = result.value;
    const seq = ++this.seq;
    this.publish({ seq, atMs: now, reason, inputs, plan, status: "applying", faulted: [] });
    const down: Array<[StallState, number]> = [];
    const up: Array<[StallState, number]> = [];
    for (const sp of plan.setpoints) {
      const st = this.stalls.get(sp.stallId)!;
      if (!st.inContact) continue;
      st.binding = sp.binding;
      st.plannedAcceptanceW = this.acceptance(st);
      if (sp.setpointW < st.possibleW) down.push([st, sp.setpointW]);
      else if (sp.setpointW > st.possibleW || sp.setpointW !== st.setpointW) up.push([st, sp.setpointW]);
    }
    const lowered = await Promise.all(down.map(([st, w]) => this.lower(st, w)));
    const faulted = down.filter((_, i) => !lowered[i]).map(([st]) => st.cfg.stallId);
    if (faulted.length > 0) {
      this.publish({ seq, atMs: now, reason, inputs, plan, status: "aborted", faulted });
      return false;
    }
    const raised = await Promise.all(up.map(([st, w]) => this.raise(st, w)));
    const raiseFaults = up.filter((_, i) => !raised[i]).map(([st]) => st.cfg.stallId);
    this.publish({ seq, atMs: now, reason, inputs, plan, status: "applied", faulted: raiseFaults });
    return true;
  }

  /** Phase 1 for one stall: resolves true once it acknowledged or draws at most `w`; false (and the
   *  stall faulted, still reserved at its old limit) on rejection or timeout. */
  private lower(st: StallState, w: number): Promise<boolean> {
    st.setpointW = w;
    // The draw is proof only while a car is charging: an idle stall could get a new car before its
    // lower limit lands, so it must acknowledge.
    return confirmLimit(st.cfg.stage, w, this.confirmOptions(st.cfg.stage, st.charging)).then((ok) => {
      if (ok) st.possibleW = w;
      else this.fault(st, "did not confirm a lower limit in time");
      return ok;
    });
  }

  /** Phase 2 for one stall: budgets `w` first, then commands it. A stall that fails is faulted and
   *  stays reserved at `w` (the most it may take). */
  private raise(st: StallState, w: number): Promise<boolean> {
    st.possibleW = w;
    st.setpointW = w;
    st.raising = true;
    return confirmLimit(st.cfg.stage, w, this.confirmOptions(st.cfg.stage, false)).then((ok) => {
      st.raising = false;
      if (!ok) this.fault(st, "did not confirm a higher limit in time");
      return ok;
    });
  }

  private confirmOptions(stage: PowerStage, acceptDraw: boolean): ConfirmOptions {
    return {
      scheduler: this.opts.scheduler,
      timeoutMs: this.opts.ackTimeoutMs?.(stage) ?? Math.max(2_000, 3 * stage.reactionDelayMs),
      pollMs: this.opts.pollMs ?? 100,
      acceptDraw,
    };
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
