import type { Clock } from "@chargemesh/shared-model";
import type { PowerStage, PowerStageState, PowerStageStatus } from "../powerStage.js";

interface PendingLimit {
  readonly limitW: number;
  readonly applyAtMs: number;
  readonly resolve: () => void;
}

/** Timers the stage may use to apply a limit exactly at its time (e.g. a virtual-time scheduler). */
export interface SimStageTimers {
  after(ms: number, fn: () => void): unknown;
}

/** Decides, per write, whether the link loses it (the write never arrives) or loses its
 *  acknowledgement (the stage applies it, the controller never hears back). */
export interface SimStageLoss {
  loseWrite(): boolean;
  loseAck(): boolean;
}

export interface SimPowerStageOptions {
  /** When given, a requested limit is applied by a timer at its exact time (otherwise by `advanceTo`). */
  readonly timers?: SimStageTimers;
  /** The limit the stage applies on its own after `fallbackAfterMs` without contact (default: none). */
  readonly fallbackLimitW?: number;
  readonly fallbackAfterMs?: number;
}

export interface SimStageWrite {
  readonly atMs: number;
  readonly limitW: number;
}

/**
 * A stall's power electronics: a requested limit takes effect `reactionDelayMs` later on the
 * injected clock (the setLimit promise resolves then). The load behind it takes
 * min(applied limit, what it wants), nothing under the stage minimum. Time moves through `advanceTo`
 * (the simulation driver calls it) or the optional timers, so it runs the same on virtual and real
 * time. Injectable faults: a stage fault, loss of contact (status goes stale, commands fail, the
 * stage falls back to its fallback limit after a while), and lost writes or acknowledgements.
 */
export class SimPowerStage implements PowerStage {
  private applied = 0;
  private requested = 0;
  private contactor = false;
  private loadW = 0;
  private pending: PendingLimit[] = [];
  private fault: string | null = null;
  private unreachableSinceMs: number | null = null;
  private staleStatus: PowerStageStatus | null = null;
  private loss: SimStageLoss | null = null;
  private listeners = new Set<(s: PowerStageStatus) => void>();
  /** Every setLimit call as the controller made it (also refused and lost ones). */
  readonly writes: SimStageWrite[] = [];

  constructor(
    readonly maxW: number,
    readonly minW: number,
    readonly reactionDelayMs: number,
    private readonly clock: Clock,
    private readonly options: SimPowerStageOptions = {},
  ) {}

  setLimit(limitW: number): Promise<void> {
    this.writes.push({ atMs: this.clock.now(), limitW });
    if (this.unreachableSinceMs !== null) return Promise.reject(new Error("power stage unreachable"));
    if (this.fault) return Promise.reject(new Error(`power stage faulted: ${this.fault}`));
    if (!Number.isSafeInteger(limitW) || limitW < 0)
      return Promise.reject(new RangeError(`bad limit ${limitW}`));
    if (this.loss?.loseWrite()) return new Promise<void>(() => {}); // lost on the wire: never applied, never answered
    const target = Math.min(limitW, this.maxW);
    this.requested = target;
    const ackLost = this.loss?.loseAck() ?? false;
    return new Promise((resolve) => {
      this.pending.push({
        limitW: target,
        applyAtMs: this.clock.now() + this.reactionDelayMs,
        resolve: ackLost ? () => {} : resolve,
      });
      this.options.timers?.after(this.reactionDelayMs, () => this.advanceTo(this.clock.now()));
      this.advanceTo(this.clock.now());
    });
  }

  async setContactor(closed: boolean): Promise<void> {
    if (this.unreachableSinceMs !== null) throw new Error("power stage unreachable");
    this.contactor = closed;
    this.notify();
  }

  /** Applies every pending limit whose time has come, and the fallback limit when it is due. */
  advanceTo(nowMs: number): void {
    const since = this.unreachableSinceMs;
    const fallbackW = this.options.fallbackLimitW;
    if (
      since !== null &&
      fallbackW !== undefined &&
      nowMs >= since + (this.options.fallbackAfterMs ?? 0) &&
      (this.applied !== fallbackW || this.pending.length > 0)
    ) {
      this.pending = []; // what was on its way is dropped; the stage enforces its own fallback
      this.applied = Math.min(fallbackW, this.maxW);
      this.requested = this.applied;
      return;
    }
    const due = this.pending.filter((p) => p.applyAtMs <= nowMs);
    if (due.length === 0) return;
    this.pending = this.pending.filter((p) => p.applyAtMs > nowMs);
    this.applied = due.at(-1)!.limitW;
    for (const p of due) p.resolve();
    this.notify();
  }

  /** The simulation tells the stage what the load behind it would take, W. */
  setLoad(wantedW: number): void {
    this.loadW = Math.max(0, Math.floor(wantedW));
  }

  /** The power the stage lets through to a load that would take `wantedW`. */
  deliverable(wantedW: number): number {
    if (!this.contactor || this.fault || this.applied <= 0 || this.applied < this.minW) return 0;
    return Math.max(0, Math.min(wantedW, this.applied));
  }

  /** What really flows now (the simulation's truth, also while the controller cannot see it), W. */
  drawW(): number {
    return this.deliverable(this.loadW);
  }

  /** The limit the stage really enforces now (the simulation's truth), W. */
  enforcedLimitW(): number {
    return this.applied;
  }

  injectFault(code: string | null): void {
    this.fault = code;
    this.notify();
  }

  /** Loss of contact: commands fail, the status stays frozen at its last value (state
   *  "unreachable"), and after `fallbackAfterMs` the stage applies its fallback limit on its own. */
  setUnreachable(on: boolean): void {
    if (on && this.unreachableSinceMs === null) {
      this.staleStatus = this.status();
      this.unreachableSinceMs = this.clock.now();
      const after = this.options.fallbackAfterMs;
      if (after !== undefined) this.options.timers?.after(after, () => this.advanceTo(this.clock.now()));
    } else if (!on && this.unreachableSinceMs !== null) {
      this.advanceTo(this.clock.now());
      this.unreachableSinceMs = null;
      this.staleStatus = null;
    }
    this.notify();
  }

  /** Loses writes or acknowledgements as `loss` decides, or stops losing them (null). */
  setLoss(loss: SimStageLoss | null): void {
    this.loss = loss;
  }

  status(): PowerStageStatus {
    if (this.staleStatus) return { ...this.staleStatus, state: "unreachable" };
    const measuredW = this.drawW();
    const state: PowerStageState = this.fault
      ? "faulted"
      : measuredW > 0
        ? "delivering"
        : this.contactor
          ? "ready"
          : "idle";
    return {
      state,
      appliedLimitW: this.applied,
      requestedLimitW: this.requested,
      measuredW,
      contactorClosed: this.contactor,
      ...(this.fault ? { fault: this.fault } : {}),
    };
  }

  onStatus(listener: (s: PowerStageStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private notify(): void {
    const s = this.status();
    for (const l of this.listeners) l(s);
  }
}
