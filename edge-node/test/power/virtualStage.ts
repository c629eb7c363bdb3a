/**
 * Test doubles for the power manager: a scheduler on a VirtualClock and a power stage with a reaction
 * delay and a simple car behind it. (hal's simulators were not available when this was written; the
 * stage follows hal/src/powerStage.ts.) Also used by bench/powerBench.ts.
 */
import type { VirtualClock } from "@chargemesh/shared-model";
import type { PowerStage, PowerStageState, PowerStageStatus } from "@chargemesh/hal";
import type { Scheduler } from "../../src/power/scheduler.js";

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

/** Timers on virtual time; `advance` fires them in time order and lets promise callbacks run. */
export class VirtualScheduler implements Scheduler {
  private timers: Timer[] = [];
  private seq = 0;
  /** Called after every timer fired and its promise callbacks ran (e.g. to sample draw at every instant). */
  afterFire: (() => void) | null = null;
  constructor(readonly clock: VirtualClock) {}

  after(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.clock.now() + Math.max(0, Math.floor(ms)), seq: this.seq++, fn, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }

  /** Moves time forward by `ms`, firing due timers in order (each followed by a microtask flush). */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await flush();
      this.timers = this.timers.filter((t) => t.live);
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      if (next.at > this.clock.now()) this.clock.set(next.at);
      next.live = false;
      next.fn();
      if (this.afterFire) {
        await flush();
        this.afterFire();
      }
    }
    this.clock.set(end);
    await flush();
  }

  pending(): number {
    return this.timers.filter((t) => t.live).length;
  }
}

/** Lets every queued promise callback run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface StageCall {
  readonly atMs: number;
  readonly limitW: number;
}

/**
 * A power stage that applies a new limit `reactionDelayMs` after it is asked (acknowledging then), with
 * a car behind it that draws `min(applied limit, car acceptance)` (nothing under the stage minimum).
 * Faults: `unresponsive` (requests are never applied nor acknowledged) and `state`.
 */
export class DelayedPowerStage implements PowerStage {
  applied = 0;
  requested = 0;
  carAcceptanceW = 0;
  contactor = true;
  unresponsive = false;
  state: PowerStageState = "ready";
  readonly calls: StageCall[] = [];
  private readonly listeners = new Set<(s: PowerStageStatus) => void>();

  constructor(
    private readonly scheduler: VirtualScheduler,
    readonly maxW: number,
    readonly minW: number,
    readonly reactionDelayMs: number,
    initialLimitW = 0,
  ) {
    this.applied = initialLimitW;
    this.requested = initialLimitW;
  }

  setLimit(limitW: number): Promise<void> {
    this.calls.push({ atMs: this.scheduler.clock.now(), limitW });
    if (this.state === "unreachable" || this.state === "faulted") return Promise.reject(new Error(`stage ${this.state}`));
    this.requested = limitW;
    if (this.unresponsive) return new Promise(() => {});
    return new Promise((resolve) => {
      this.scheduler.after(this.reactionDelayMs, () => {
        if (this.unresponsive) return;
        this.applied = limitW;
        this.emit();
        resolve();
      });
    });
  }

  async setContactor(closed: boolean): Promise<void> {
    this.contactor = closed;
    this.emit();
  }

  get measuredW(): number {
    if (!this.contactor || this.applied <= 0 || this.applied < this.minW) return 0;
    return Math.min(this.applied, this.carAcceptanceW);
  }

  status(): PowerStageStatus {
    return {
      state: this.state,
      appliedLimitW: this.applied,
      requestedLimitW: this.requested,
      measuredW: this.measuredW,
      contactorClosed: this.contactor,
      ...(this.state === "faulted" ? { fault: "sim_fault" } : {}),
    };
  }

  onStatus(listener: (status: PowerStageStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** The controller link drops: the driver reports `unreachable`, commands fail, and after `afterMs`
   *  the stage falls back to its own safe limit. */
  loseContact(safeLimitW: number, afterMs: number): void {
    this.setState("unreachable");
    this.scheduler.after(afterMs, () => {
      if (this.state !== "unreachable") return;
      this.applied = safeLimitW;
      this.requested = safeLimitW;
      this.emit();
    });
  }

  /** The link is back: the stage reports ready and keeps its present limit. */
  regainContact(): void {
    this.setState("ready");
  }

  /** Changes the stage's state and tells listeners. */
  setState(state: PowerStageState): void {
    this.state = state;
    this.emit();
  }

  private emit(): void {
    const s = this.status();
    for (const l of this.listeners) l(s);
  }
}
