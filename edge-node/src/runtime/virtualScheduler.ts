import type { Clock } from "@chargemesh/shared-model";
import type { Scheduler } from "../power/scheduler.js";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  live: boolean;
}

/** Timers on a virtual clock: `fireDue` runs, in time order, every timer whose time has come. */
export class VirtualScheduler implements Scheduler {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  after(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.clock.now() + Math.max(0, Math.floor(ms)), seq: this.seq++, fn, live: true };
    this.timers.push(t);
    return () => void (t.live = false);
  }

  /** Fires every live timer due at or before the clock's present (including ones they schedule). */
  fireDue(): void {
    for (;;) {
      const now = this.clock.now();
      let next: Timer | undefined;
      for (const t of this.timers)
        if (t.live && t.at <= now && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
          next = t;
      if (!next) break;
      next.live = false;
      next.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
  }
}
