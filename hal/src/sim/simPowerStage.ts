import type { Clock } from "@chargemesh/shared-model";
import type { PowerStage, PowerStageState, PowerStageStatus } from "../powerStage.js";

interface PendingLimit {
  readonly limitW: number;
  readonly applyAtMs: number;
  readonly resolve: () => void;
}

/**
 * A stall's power electronics: a requested limit takes effect `reactionDelayMs` later on the
 * injected clock (the setLimit promise resolves then); measured draw is min(applied limit, what the
 * load takes). Time moves only through `advanceTo` (the simulation driver calls it), so it runs the
 * same on virtual and real time. Faults and "unreachable" can be injected.
 */
export class SimPowerStage implements PowerStage {
  private applied = 0;
  private requested = 0;
  private contactor = false;
  private measured = 0;
  private pending: PendingLimit[] = [];
  private fault: string | null = null;
  private unreachable = false;
  private listeners = new Set<(s: PowerStageStatus) => void>();

  constructor(
    readonly maxW: number,
    readonly minW: number,
    readonly reactionDelayMs: number,
    private readonly clock: Clock,
  ) {}

  setLimit(limitW: number): Promise<void> {
    if (this.unreachable) return Promise.reject(new Error("power stage unreachable"));
    if (this.fault) return Promise.reject(new Error(`power stage faulted: ${this.fault}`));
    if (!Number.isSafeInteger(limitW) || limitW < 0) return Promise.reject(new RangeError(`bad limit ${limitW}`));
    const target = Math.min(limitW, this.maxW);
    this.requested = target;
    return new Promise((resolve) => {
      this.pending.push({ limitW: target, applyAtMs: this.clock.now() + this.reactionDelayMs, resolve });
      this.advanceTo(this.clock.now());
    });
  }

  async setContactor(closed: boolean): Promise<void> {
    if (this.unreachable) throw new Error("power stage unreachable");
    this.contactor = closed;
    if (!closed) this.measured = 0;
    this.notify();
  }

  /** Applies every pending limit whose time has come. */
  advanceTo(nowMs: number): void {
    const due = this.pending.filter((p) => p.applyAtMs <= nowMs);
    if (due.length === 0) return;
    this.pending = this.pending.filter((p) => p.applyAtMs > nowMs);
    this.applied = due.at(-1)!.limitW;
    for (const p of due) p.resolve();
    this.notify();
  }

  /** The simulation tells the stage what the load draws under its applied limit. */
  setMeasured(w: number): void {
    this.measured = this.contactor ? Math.min(w, this.applied) : 0;
  }

  /** The power the stage lets through to a load that would take `wantedW`. */
  deliverable(wantedW: number): number {
    return this.contactor && !this.fault ? Math.max(0, Math.min(wantedW, this.applied)) : 0;
  }

  injectFault(code: string | null): void {
    this.fault = code;
    if (code) this.measured = 0;
    this.notify();
  }

  setUnreachable(on: boolean): void {
    this.unreachable = on;
    this.notify();
  }

  status(): PowerStageStatus {
    const state: PowerStageState = this.unreachable ? "unreachable" : this.fault ? "faulted" : this.measured > 0 ? "delivering" : this.contactor ? "ready" : "idle";
    return {
      state,
      appliedLimitW: this.applied,
      requestedLimitW: this.requested,
      measuredW: this.measured,
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
