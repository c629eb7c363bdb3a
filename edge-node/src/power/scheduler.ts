/** Timers are injected like the clock, so the power manager runs on virtual time in tests and benches. */
export interface Scheduler {
  /** Calls `fn` once after `ms` milliseconds of the scheduler's time; returns a cancel function
   *  (calling it after the timer fired does nothing). */
  after(ms: number, fn: () => void): () => void;
}

/** The process's real timers. */
export const realScheduler: Scheduler = {
  after(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};
