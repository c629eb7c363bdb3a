/** A Scheduler on virtual time, for simulations and tests of the power manager. */
import type { VirtualClock } from "@chargemesh/shared-model";
import type { Scheduler } from "./scheduler.js";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  live: boolean;
}

/** Lets every queued promise callback (and whatever they queue) run: one turn of the event loop. */
export const settlePromises = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Timers on a VirtualClock. `advance` moves time forward, firing due timers in time order (ties in
 * the order they were set), each followed by a flush of promise callbacks, so code that awaits
 * timer-driven promises behaves as on real time.
 */
export class VirtualTimeScheduler implements Scheduler {
  private timers: Timer[] = [];
  private seq = 0;
  /** Called after every timer fired and its promise callbacks ran (e.g. to sample the site at that instant). */
  afterFire: (() => void) | null = null;

  constructor(readonly clock: VirtualClock) {}

  after(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.clock.now() + Math.max(0, Math.floor(ms)), seq: this.seq++, fn, live: true };
    this.timers.push(t);
    return () => void (t.live = false);
  }

  /** Moves time forward by `ms` (>= 0), firing due timers; promise callbacks are flushed before each
   *  timer and before the clock moves to the end. A timer that throws propagates its error. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + Math.max(0, Math.floor(ms));
    for (;;) {
      await settlePromises();
      const next = this.nextDue(end);
      if (!next) break;
      if (next.at > this.clock.now()) this.clock.set(next.at);
      next.live = false;
      next.fn();
      if (this.afterFire) {
        await settlePromises();
        this.afterFire();
      }
    }
    if (end > this.clock.now()) this.clock.set(end);
  }

  /** Live timers not yet fired. */
  pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  private nextDue(end: number): Timer | undefined {
    if (this.timers.length > 64) this.timers = this.timers.filter((t) => t.live);
    let next: Timer | undefined;
    for (const t of this.timers)
      if (t.live && t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
        next = t;
    return next;
  }
}
